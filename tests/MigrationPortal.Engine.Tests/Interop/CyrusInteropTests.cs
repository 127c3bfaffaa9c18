using System.Globalization;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Engine.Tests.Passes;
using MigrationPortal.Fixtures.Cyrus;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>A private Dovecot (folders at the root, "/") and a private Cyrus (folders under "INBOX.", ".").</summary>
public sealed class DovecotAndCyrus : IAsyncLifetime
{
    public DovecotServer Dovecot { get; } = new();
    public CyrusServer Cyrus { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(Dovecot.InitializeAsync(), Cyrus.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Dovecot.DisposeAsync();
        await Cyrus.DisposeAsync();
    }
}

/// <summary>
/// The first of issue 16's server pairs: a mailbox with nested folders moved between Dovecot and Cyrus IMAP in both
/// directions, through the engine, and compared as the user sees it (folders below the personal namespace, levels
/// joined by "/"): Dovecot's "Projects/2026" becomes Cyrus's "INBOX.Projects.2026" and back; a second Full and a Delta
/// copy nothing.
/// </summary>
public sealed class CyrusInteropTests(DovecotAndCyrus servers) : IClassFixture<DovecotAndCyrus>
{
    private const string Password = "interop-Pass-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(15));

    private static readonly (string Folder, int Messages)[] Corpus = [("INBOX", 12), ("Projects", 5), ("Projects/2026", 3), ("Archive", 4)];

    [Theory]
    [InlineData("Dovecot", "Cyrus")]
    [InlineData("Cyrus", "Dovecot")]
    public async Task NestedFolders_CopiedExactly_AndASecondFullCopiesNothing(string from, string to)
    {
        var user = $"u{Guid.NewGuid():N}"[..10];
        await servers.Dovecot.AddUserAsync(user, Password);
        await servers.Cyrus.AddUserAsync(user, Password);
        foreach (var (folder, messages) in Corpus)
        {
            var seed = Enumerable.Range(1, messages).Select(i => Message(folder, i)).ToList();
            if (from == "Dovecot") await servers.Dovecot.AppendMessagesAsync(user, Password, folder, seed);
            else await servers.Cyrus.AppendMessagesAsync(user, Password, folder, seed);
        }
        var checkpoints = new MemoryCheckpoints();

        var first = await RunAsync(from, to, user, checkpoints, PassOptions.Full);
        var second = await RunAsync(from, to, user, checkpoints, PassOptions.Full);
        var delta = await RunAsync(from, to, user, checkpoints, new PassOptions { Kind = PassKind.Delta });

        var original = await ReadAsync(from, user);
        var copied = await ReadAsync(to, user);
        Assert.Equal(Corpus.Sum(c => c.Messages), original.MessageCount);
        Assert.True(copied.DifferencesFrom(original).Count == 0, string.Join("\n", copied.DifferencesFrom(original)));
        Assert.Equal(Corpus.Sum(c => c.Messages), first.MessagesCopied);
        Assert.Equal(0, second.MessagesCopied);
        Assert.Equal(0, delta.MessagesCopied);
    }

    private Task<PassResult> RunAsync(string from, string to, string user, MemoryCheckpoints checkpoints, PassOptions options) =>
        new MailboxMigration(_connector).RunAsync(Side(from, user), Side(to, user), checkpoints, options, default, default);

    private MigrationSide Side(string server, string user) => server == "Dovecot"
        ? new(new ImapEndpoint(servers.Dovecot.Host, servers.Dovecot.Port, TlsMode.None), new ImapLogin(user, Password))
        : new(new ImapEndpoint(servers.Cyrus.Host, servers.Cyrus.Port, TlsMode.None), new ImapLogin(user, Password));

    private Task<MailboxContent> ReadAsync(string server, string user) => server == "Dovecot"
        ? MailboxContent.ReadAsync(servers.Dovecot, user, Password)
        : MailboxContent.ReadAsync(servers.Cyrus.Host, servers.Cyrus.Port, user, Password);

    private static MimeMessage Message(string folder, int i)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ada@example.org"));
        message.To.Add(MailboxAddress.Parse("bob@example.org"));
        message.Subject = string.Create(CultureInfo.InvariantCulture, $"{folder} {i}");
        message.MessageId = $"{folder.Replace('/', '-')}-{i}-{Guid.NewGuid():N}@example.org";
        message.Date = new DateTimeOffset(2026, 1, 1 + i, 9, 0, 0, TimeSpan.Zero);
        message.Body = new TextPart("plain") { Text = $"Body of {folder} {i}\r\n" };
        return message;
    }
}
