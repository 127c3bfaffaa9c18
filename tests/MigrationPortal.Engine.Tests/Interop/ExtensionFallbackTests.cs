using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Engine.Tests.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>
/// Two Dovecots that advertise none of the extensions the pass uses: the source no CONDSTORE, LIST-STATUS or
/// SPECIAL-USE; the destination no MULTIAPPEND, LITERAL+, UIDPLUS, LIST-STATUS or SPECIAL-USE. Of the three real
/// servers only Courier lacks some of them, and none lacks UIDPLUS: this is every fallback at once.
/// </summary>
public sealed class ServersWithoutExtensions : IAsyncLifetime
{
    public DovecotServer Source { get; } = new() { ExtraConfig = DovecotServer.CapabilitiesWithout("CONDSTORE", "QRESYNC", "LIST-STATUS", "SPECIAL-USE") };

    public DovecotServer Destination { get; } = new()
    {
        SentFolder = "Sent Items",
        ExtraConfig = DovecotServer.CapabilitiesWithout("MULTIAPPEND", "LITERAL+", "UIDPLUS", "LIST-STATUS", "SPECIAL-USE"),
    };

    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}

/// <summary>
/// Issue 16: where a server lacks an extension the engine uses, the engine falls back and the pass says so. Copied
/// exactly without any of them, the special folders found by name on both sides, and a Delta still carries new mail
/// and flag changes over (every copied message compared, each copy found by identity), nothing twice.
/// </summary>
public sealed class ExtensionFallbackTests(ServersWithoutExtensions servers) : IClassFixture<ServersWithoutExtensions>
{
    private const string Password = "fallback-Pass-5";

    [Fact]
    public async Task WithoutTheExtensions_EverythingIsCopied_ADeltaCarriesChangesOver_AndThePassSaysWhatItDidInstead()
    {
        var user = $"f{Guid.NewGuid():N}"[..10];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        await servers.Source.AppendMessagesAsync(user, Password, "INBOX", Enumerable.Range(1, 30).Select(i => Message($"inbox {i}")));
        await servers.Source.AppendMessagesAsync(user, Password, "Projects/2026", Enumerable.Range(1, 5).Select(i => Message($"plan {i}")));
        await servers.Source.AppendMessagesAsync(user, Password, "Sent", Enumerable.Range(1, 4).Select(i => Message($"sent {i}")));
        // The destination's own sent folder, which only its name says is one (no SPECIAL-USE advertised).
        await servers.Destination.AppendMessagesAsync(user, Password, "Sent Items", []);
        var checkpoints = new MemoryCheckpoints();

        var full = await RunAsync(user, checkpoints, PassOptions.Full);

        Assert.Equal(39, full.MessagesCopied);
        Assert.Equal(
            ["destination LIST-STATUS", "destination LITERAL+", "destination MULTIAPPEND", "destination SPECIAL-USE", "destination UIDPLUS",
             "source CONDSTORE", "source LIST-STATUS", "source SPECIAL-USE"],
            full.Fallbacks.Select(f => $"{f.Side} {f.Extension}").Order(StringComparer.Ordinal));
        var copied = await InteropMailbox.ReadAsync(servers.Destination.Host, servers.Destination.Port, user, Password);
        Assert.Equal(4, copied.Folders["Sent Items"].Messages.Count);
        Assert.False(copied.Folders.ContainsKey("Sent"), "the sent mail went into a second sent folder");
        Assert.Equal(5, copied.Folders["Projects/2026"].Messages.Count);

        // On the source: three messages read and one labelled, two new ones.
        using (var client = new ImapClient())
        {
            await client.ConnectAsync(servers.Source.Host, servers.Source.Port, SecureSocketOptions.None);
            await client.AuthenticateAsync(user, Password);
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.StoreAsync([0, 1, 2], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true });
            var label = new StoreFlagsRequest(StoreAction.Add, MessageFlags.None) { Silent = true };
            label.Keywords.Add("Project-X");
            await client.Inbox.StoreAsync([5], label);
            await client.DisconnectAsync(true);
        }
        await servers.Source.AppendMessagesAsync(user, Password, "INBOX", [Message("new 1"), Message("new 2")]);

        var delta = await RunAsync(user, checkpoints, new PassOptions { Kind = PassKind.Delta });

        Assert.Equal(2, delta.MessagesCopied);
        Assert.Equal(4, delta.FlagsUpdated);
        var original = await InteropMailbox.ReadAsync(servers.Source.Host, servers.Source.Port, user, Password);
        copied = await InteropMailbox.ReadAsync(servers.Destination.Host, servers.Destination.Port, user, Password);
        Assert.Equal(Describe(original.Folders["INBOX"]), Describe(copied.Folders["INBOX"]));
        Assert.Equal(0, (await RunAsync(user, checkpoints, PassOptions.Full)).MessagesCopied);
    }

    private static IEnumerable<string> Describe(InteropFolder folder) =>
        folder.Messages.Select(m => $"{m.Sha256} {m.Flags} {string.Join(' ', m.Keywords)}").Order(StringComparer.Ordinal);

    private Task<PassResult> RunAsync(string user, MemoryCheckpoints checkpoints, PassOptions options) =>
        new MailboxMigration(new ImapConnector(TimeSpan.FromSeconds(15))).RunAsync(
            new MigrationSide(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password)),
            new MigrationSide(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password)),
            checkpoints, options, default, default);

    private static MimeMessage Message(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ada@example.org"));
        message.To.Add(MailboxAddress.Parse("bob@example.org"));
        message.Subject = subject;
        message.MessageId = $"{subject.Replace(' ', '-')}-{Guid.NewGuid():N}@example.org";
        message.Date = new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);
        message.Body = new TextPart("plain") { Text = $"{subject}\r\n" };
        return message;
    }
}
