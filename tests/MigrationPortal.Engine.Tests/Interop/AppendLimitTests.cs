using System.Text;
using MailKit;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Engine.Tests.Passes;
using MigrationPortal.Fixtures.Cyrus;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>A Dovecot source and a Cyrus destination that takes no message over 1 MB (maxmessagesize, advertised as APPENDLIMIT=1048576).</summary>
public sealed class DovecotAndLimitedCyrus : IAsyncLifetime
{
    public const int Limit = 1024 * 1024;

    public DovecotServer Dovecot { get; } = new();
    public CyrusServer Cyrus { get; } = new() { ExtraConfig = $"maxmessagesize: {Limit}" };

    public Task InitializeAsync() => Task.WhenAll(Dovecot.InitializeAsync(), Cyrus.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Dovecot.DisposeAsync();
        await Cyrus.DisposeAsync();
    }
}

/// <summary>
/// A destination that says how large a message it takes (APPENDLIMIT, RFC 7889): a larger one is listed as not copied,
/// with the limit, and never sent; the rest of its batch is copied as usual.
/// </summary>
public sealed class AppendLimitTests(DovecotAndLimitedCyrus servers) : IClassFixture<DovecotAndLimitedCyrus>
{
    private const string Password = "limit-Pass-4";

    [Fact]
    public async Task AMessageOverTheDestinationsAppendLimit_IsListedAsNotCopied_WithoutBeingSent()
    {
        var user = $"l{Guid.NewGuid():N}"[..10];
        await servers.Dovecot.AddUserAsync(user, Password);
        await servers.Cyrus.AddUserAsync(user, Password);
        var messages = Enumerable.Range(1, 5).Select(i => Message($"small {i}", 2_000)).ToList();
        messages.Insert(2, Message("the scans", 2 * DovecotAndLimitedCyrus.Limit));
        await servers.Dovecot.AppendMessagesAsync(user, Password, "INBOX", messages);

        var result = await new MailboxMigration(new ImapConnector(TimeSpan.FromSeconds(15))).RunAsync(
            new MigrationSide(new ImapEndpoint(servers.Dovecot.Host, servers.Dovecot.Port, TlsMode.None), new ImapLogin(user, Password)),
            new MigrationSide(new ImapEndpoint(servers.Cyrus.Host, servers.Cyrus.Port, TlsMode.None), new ImapLogin(user, Password)),
            new MemoryCheckpoints(), PassOptions.Full, default, default);

        Assert.Equal(5, result.MessagesCopied);
        var refused = Assert.Single(result.FailedMessages);
        Assert.Equal("the scans", refused.Subject);
        // The engine's words, not Cyrus's ("Message size exceeds the fixed limit"): the message was never sent.
        Assert.StartsWith("Not sent: the message is ", refused.ServerAnswer);
        Assert.Contains($"takes at most {DovecotAndLimitedCyrus.Limit} (its APPENDLIMIT)", refused.ServerAnswer);
        var copied = await MailboxContent.ReadAsync(servers.Cyrus.Host, servers.Cyrus.Port, user, Password);
        Assert.Equal(5, copied.Folders["INBOX"].Count);
    }

    private static MimeMessage Message(string subject, int size)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ada@example.org"));
        message.To.Add(MailboxAddress.Parse("bob@example.org"));
        message.Subject = subject;
        message.Date = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var line = new string('x', 76) + "\r\n";
        message.Body = new TextPart("plain") { Text = new StringBuilder().Insert(0, line, size / line.Length + 1).ToString() };
        return message;
    }
}
