using MailKit;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Imap;

/// <summary>The connector opens the sessions migration will work in, on a real Dovecot.</summary>
public sealed class ImapConnectorTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(5));

    private ImapEndpoint Endpoint => new(dovecot.Host, dovecot.Port, TlsMode.None);

    [Fact]
    public async Task ConnectAsync_CorrectPassword_SessionReadsTheMailbox()
    {
        var login = "conn" + Guid.NewGuid().ToString("N")[..8];
        await dovecot.AddUserAsync(login, "correct horse");
        var message = new MimeMessage { Subject = "Hello from the source" };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
        message.Body = new TextPart("plain") { Text = "Body" };
        await dovecot.AppendMessageAsync(login, "correct horse", "INBOX", message);

        await using var session = await _connector.ConnectAsync(Endpoint, new ImapLogin(login, "correct horse"), default);

        var inbox = session.Store.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, inbox.Count);
        Assert.Equal("Hello from the source", (await inbox.GetMessageAsync(0)).Subject);
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_RejectedWithoutThePassword()
    {
        var login = "conn" + Guid.NewGuid().ToString("N")[..8];
        await dovecot.AddUserAsync(login, "correct horse");

        var e = await Assert.ThrowsAsync<ImapConnectException>(() => _connector.ConnectAsync(Endpoint, new ImapLogin(login, "battery staple"), default));

        Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
        Assert.DoesNotContain("battery staple", e.Message);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_UnreachableNamingHostAndPort()
    {
        var e = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAsync(new ImapEndpoint("127.0.0.1", 9, TlsMode.None), new ImapLogin("a", "b"), default));

        Assert.Equal(ImapConnectFailure.Unreachable, e.Failure);
        Assert.Contains("127.0.0.1:9", e.Message);
    }
}
