using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MigrationPortal.Fixtures.Courier;
using MigrationPortal.Fixtures.Cyrus;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;
using Xunit.Abstractions;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>A private Courier-IMAP and a private Cyrus IMAP, both with folders under "INBOX." and ".".</summary>
public sealed class CourierAndCyrus : IAsyncLifetime
{
    public CourierServer Courier { get; } = new();
    public CyrusServer Cyrus { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Courier.InitializeAsync(), Cyrus.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Courier.DisposeAsync();
        await Cyrus.DisposeAsync();
    }
}

/// <summary>
/// The interoperability tests' other servers do what the tests ask of them: a user's mail seeded into nested and
/// non-ASCII folders reads back as the user sees it, a wrong password is refused, and a folder's UIDVALIDITY changes
/// with its messages kept as they were, and the engine copies between them. Each test also prints what the server offers (CAPABILITY, LIST with
/// SPECIAL-USE, a folder's PERMANENTFLAGS), for the record of what the engine meets there.
/// </summary>
public sealed class ServerFixtureTests(CourierAndCyrus servers, ITestOutputHelper output) : IClassFixture<CourierAndCyrus>
{
    private const string Password = "fixture-Pass-1";
    private const string Accented = "Rechnungen/Ärzte & Co";

    private static readonly (string Folder, int Messages)[] Corpus = [("INBOX", 3), ("Projects/2026", 2), (Accented, 2)];

    [Theory]
    [InlineData("Courier")]
    [InlineData("Cyrus")]
    public async Task SeededMail_ReadsBackInTheFoldersTheUserSees(string server)
    {
        var (host, port) = Address(server);
        var user = await SeedAsync(server);

        var content = await MailboxContent.ReadAsync(host, port, user, Password);

        Assert.Equal("INBOX: 3, Projects: 0, Projects/2026: 2, Rechnungen: 0, Rechnungen/Ärzte & Co: 2", content.Summary);
        foreach (var (folder, messages) in Corpus)
            Assert.Equal(Enumerable.Range(1, messages).Select(i => Hash(Message(user, folder, i))).Order(StringComparer.Ordinal), content.Folders[folder]);
        await PrintWhatTheServerOffersAsync(server, user);
    }

    [Theory]
    [InlineData("Courier")]
    [InlineData("Cyrus")]
    public async Task AWrongPassword_IsRefused(string server)
    {
        var (host, port) = Address(server);
        var user = $"w{Guid.NewGuid():N}"[..10];
        await AddUserAsync(server, user);
        using var client = new ImapClient();
        await client.ConnectAsync(host, port, SecureSocketOptions.None);

        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(user, Password + "x"));
    }

    [Theory]
    [InlineData("Courier", "Projects/2026")]
    [InlineData("Courier", "INBOX")]
    [InlineData("Courier", Accented)]
    [InlineData("Cyrus", "Projects/2026")]
    [InlineData("Cyrus", Accented)]
    public async Task ChangeUidValidity_GivesANewOne_AndKeepsTheMessages(string server, string folder)
    {
        var (host, port) = Address(server);
        var user = await SeedAsync(server);
        await MarkAsync(host, port, user, folder);
        var contentBefore = await MailboxContent.ReadAsync(host, port, user, Password);
        var (uidValidityBefore, stateBefore) = await ReadStateAsync(host, port, user, folder);

        if (server == "Courier") await servers.Courier.ChangeUidValidityAsync(user, Password, folder);
        else await servers.Cyrus.ChangeUidValidityAsync(user, Password, folder);

        var (uidValidityAfter, stateAfter) = await ReadStateAsync(host, port, user, folder);
        var contentAfter = await MailboxContent.ReadAsync(host, port, user, Password);
        output.WriteLine($"{server} {folder}: UIDVALIDITY {uidValidityBefore} -> {uidValidityAfter}");
        Assert.NotEqual(uidValidityBefore, uidValidityAfter);
        Assert.Empty(contentAfter.DifferencesFrom(contentBefore));
        Assert.Equal(contentBefore.Lines, contentAfter.Lines);
        Assert.Equal(stateBefore, stateAfter);
    }

    private (string Host, int Port) Address(string server) =>
        server == "Courier" ? (servers.Courier.Host, servers.Courier.Port) : (servers.Cyrus.Host, servers.Cyrus.Port);

    private Task AddUserAsync(string server, string user) =>
        server == "Courier" ? servers.Courier.AddUserAsync(user, Password) : servers.Cyrus.AddUserAsync(user, Password);

    private async Task<string> SeedAsync(string server)
    {
        var user = $"u{Guid.NewGuid():N}"[..10];
        await AddUserAsync(server, user);
        foreach (var (folder, messages) in Corpus)
        {
            var seed = Enumerable.Range(1, messages).Select(i => Message(user, folder, i)).ToList();
            if (server == "Courier") await servers.Courier.AppendMessagesAsync(user, Password, folder, seed);
            else await servers.Cyrus.AppendMessagesAsync(user, Password, folder, seed);
        }
        return user;
    }

    /// <summary>Flags as a user leaves them: the first message read, the second flagged and with a keyword.</summary>
    private static async Task MarkAsync(string host, int port, string user, string folder)
    {
        using var client = await LogInAsync(host, port, user);
        var target = await OpenAsync(client, folder, FolderAccess.ReadWrite);
        var uids = await target.SearchAsync(SearchQuery.All);
        await target.StoreAsync(uids[0], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true });
        await target.StoreAsync(uids[1], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { Keywords = { "$Label1" }, Silent = true });
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>The folder's UIDVALIDITY and, per message (by Message-Id), its flags, keywords and INTERNALDATE.</summary>
    private static async Task<(uint UidValidity, List<string> Messages)> ReadStateAsync(string host, int port, string user, string folder)
    {
        using var client = await LogInAsync(host, port, user);
        var target = await OpenAsync(client, folder, FolderAccess.ReadOnly);
        var summaries = await target.FetchAsync(0, -1, MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Envelope);
        var messages = summaries
            .Select(s => string.Create(CultureInfo.InvariantCulture,
                $"{s.Envelope?.MessageId} {s.Flags & ~MessageFlags.Recent} {string.Join(',', s.Keywords.Order(StringComparer.Ordinal))} {s.InternalDate:O}"))
            .Order(StringComparer.Ordinal).ToList();
        var uidValidity = target.UidValidity;
        await client.DisconnectAsync(quit: true);
        return (uidValidity, messages);
    }

    private static async Task<IMailFolder> OpenAsync(ImapClient client, string folder, FolderAccess access)
    {
        IMailFolder target = client.Inbox ?? throw new InvalidOperationException("No INBOX.");
        if (!folder.Equals("INBOX", StringComparison.Ordinal))
            foreach (var part in folder.Split('/'))
                target = (await target.GetSubfoldersAsync()).Single(f => f.Name == part);
        await target.OpenAsync(access);
        return target;
    }

    private static async Task<ImapClient> LogInAsync(string host, int port, string user)
    {
        var client = new ImapClient();
        await client.ConnectAsync(host, port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        return client;
    }

    /// <summary>
    /// The server's own words, over a plain socket: its CAPABILITY after LOGIN, what LIST "" "*" RETURN (SPECIAL-USE)
    /// answers, and a folder's SELECT and EXAMINE (PERMANENTFLAGS: whether keywords may be stored).
    /// </summary>
    private async Task PrintWhatTheServerOffersAsync(string server, string user)
    {
        var (host, port) = Address(server);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        output.WriteLine($"{server}: {await reader.ReadLineAsync()}");
        string[] commands = [$"LOGIN {user} {Password}", "CAPABILITY", "LIST \"\" \"*\" RETURN (SPECIAL-USE)", "SELECT INBOX.Projects.2026",
            "EXAMINE INBOX.Projects.2026", "LOGOUT"];
        for (var i = 0; i < commands.Length; i++)
        {
            var tag = "t" + i.ToString(CultureInfo.InvariantCulture);
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"{tag} {commands[i]}\r\n"));
            output.WriteLine($"{server} C: {tag} {commands[i].Replace(Password, "***", StringComparison.Ordinal)}");
            while (await reader.ReadLineAsync() is { } line)
            {
                output.WriteLine($"{server} S: {line}");
                if (line.StartsWith(tag + " ", StringComparison.Ordinal)) break;
            }
        }
    }

    private static string Hash(MimeMessage message)
    {
        using var bytes = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, bytes);
        return Convert.ToHexString(SHA256.HashData(bytes.ToArray()));
    }

    private static MimeMessage Message(string user, string folder, int i)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ada@example.org"));
        message.To.Add(MailboxAddress.Parse("bob@example.org"));
        message.Subject = string.Create(CultureInfo.InvariantCulture, $"{folder} {i}");
        message.MessageId = string.Create(CultureInfo.InvariantCulture, $"{user}-{folder.GetHashCode(StringComparison.Ordinal):x8}-{i}@example.org");
        message.Date = new DateTimeOffset(2026, 1, 1 + i, 9, 0, 0, TimeSpan.Zero);
        message.Body = new TextPart("plain") { Text = $"Body of {folder} {i}\r\n" };
        return message;
    }
}
