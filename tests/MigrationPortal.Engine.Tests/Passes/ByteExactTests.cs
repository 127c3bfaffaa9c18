using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>Two Dovecot servers without a size limit, for messages as large and as odd as real mailboxes hold.</summary>
public sealed class UnlimitedPair : IAsyncLifetime
{
    public DovecotServer Source { get; } = new();
    public DovecotServer Destination { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}

/// <summary>The destination holds exactly the bytes the source serves, message for message, whatever the message looks like.</summary>
public sealed class ByteExactTests(UnlimitedPair servers) : IClassFixture<UnlimitedPair>
{
    private const string Password = "pass-Word-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Run_MalformedAndUnusualMessages_DestinationServesTheSourcesExactBytes()
    {
        var user = await UserAsync();
        var odd = new[]
        {
            // No Message-ID, bare LF line ends, no final line break.
            "From: ada@example.org\nSubject: bare LF\n\nfirst line\nsecond line",
            // A header without a colon, 8-bit bytes in a header, a broken MIME boundary.
            "From: ada@example.org\r\nX-Broken header line\r\nSubject: caf\u00e9 8bit\r\nMessage-ID: <odd-1@example.org>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"never-closed\"\r\n\r\n--never-closed\r\n"
                + "Content-Type: text/plain\r\n\r\npart without end\r\n",
            // Trailing white space, a 3,000-character unfolded header, tabs.
            "From: ada@example.org   \r\nSubject:\tlong\t\r\nX-Long: " + new string('x', 3000) + "\r\nMessage-ID: <odd-2@example.org>\r\n\r\nbody  \r\n",
            // Only headers, no body at all.
            "From: ada@example.org\r\nSubject: headers only\r\nMessage-ID: <odd-3@example.org>\r\n",
        };
        foreach (var message in odd)
            await servers.Source.SaveRawAsync(user, "INBOX", Encoding.Latin1.GetBytes(message));
        await servers.Source.SaveRawAsync(user, "Archive/2019", Encoding.Latin1.GetBytes(odd[0]));

        var result = await RunAsync(user);

        Assert.Equal(5, result.MessagesCopied);
        Assert.Equal(0, result.SizeMismatches);
        var source = (await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines;
        Assert.Equal(5, source.Count);
        Assert.Equal(source, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines);
    }

    [Fact]
    public async Task Run_TwentyMegabyteMessageAmongSmallOnes_CopiedByteForByteOnce()
    {
        var user = await UserAsync();
        var random = new Random(20);
        var large = new StringBuilder("From: ada@example.org\r\nSubject: twenty megabytes\r\nMessage-ID: <large@example.org>\r\n\r\n");
        while (large.Length < 20 * 1024 * 1024)
            large.Append(Convert.ToBase64String(RandomBytes(random, 57))).Append("\r\n");
        await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes("From: a@example.org\r\nSubject: before\r\n\r\nsmall\r\n"));
        await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes(large.ToString()));
        await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes("From: a@example.org\r\nSubject: after\r\n\r\nsmall\r\n"));

        var first = await RunAsync(user);
        var second = await RunAsync(user);

        Assert.Equal(3, first.MessagesCopied);
        Assert.True(first.BytesCopied > 20 * 1024 * 1024);
        Assert.Equal(0, second.MessagesCopied);
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines);
    }

    [Fact]
    public async Task Run_TwoPassesSharingTheSmallestBudget_TakeTurnsAndBothCopyEverything()
    {
        // Two mailboxes of 1.5 MB attachments and one of 10 MB, more than the whole budget: batches wait for their
        // bytes instead of holding more, the oversized message alone takes everything, and neither pass starves.
        var users = new[] { await UserAsync(), await UserAsync() };
        foreach (var user in users)
        {
            for (var i = 0; i < 8; i++)
                await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes(
                    $"From: a@example.org\r\nSubject: attachment {i}\r\n\r\n" + new string((char)('a' + i), 1_500_000) + "\r\n"));
            await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes(
                "From: a@example.org\r\nSubject: ten megabytes\r\n\r\n" + new string('z', 10 * 1024 * 1024) + "\r\n"));
        }
        using var budget = new BufferBudget(BufferBudget.MinimumBytes);
        var migration = new MailboxMigration(_connector) { Budget = budget };

        var results = await Task.WhenAll(users.Select(user => migration.RunAsync(Side(servers.Source, user), Side(servers.Destination, user),
            new MemoryCheckpoints(), PassOptions.Full, default, default))).WaitAsync(TimeSpan.FromSeconds(90));

        Assert.All(results, r => Assert.Equal(9, r.MessagesCopied));
        foreach (var user in users)
            Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines);
    }

    private static byte[] RandomBytes(Random random, int n)
    {
        var bytes = new byte[n];
        random.NextBytes(bytes);
        return bytes;
    }

    private readonly Checkpoints _checkpoints = new();

    private sealed class Checkpoints
    {
        public readonly Dictionary<string, MemoryCheckpoints> ByUser = [];
    }

    private async Task<PassResult> RunAsync(string user)
    {
        if (!_checkpoints.ByUser.TryGetValue(user, out var checkpoints))
            _checkpoints.ByUser[user] = checkpoints = new MemoryCheckpoints();
        return await new MailboxMigration(_connector).RunAsync(Side(servers.Source, user), Side(servers.Destination, user), checkpoints,
            PassOptions.Full, default, default);
    }

    private static MigrationSide Side(DovecotServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));

    private async Task<string> UserAsync()
    {
        var user = "exact" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        return user;
    }

}
