using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MigrationPortal.Fixtures.Smtp;
using MimeKit;

namespace MigrationPortal.Email.Tests;

public sealed class SmtpEmailSenderTests
{
    [Fact]
    public async Task SendAsync_MultipartMessage_ArrivesWithSubjectRecipientsAndBothBodies()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);
        var message = TestMessages.Create(TestMessages.UniqueSubject("Your migration link"), from: "Portal <portal@example.org>");
        message.Cc.Add(MailboxAddress.Parse("grace@example.org"));
        message.Bcc.Add(MailboxAddress.Parse("audit@example.org"));

        await sender.SendAsync(message, CancellationToken.None);

        var received = await sink.WaitForMessageAsync(m => m.Subject == message.Subject, TestMessages.Wait);
        Assert.Equal("portal@example.org", received.EnvelopeFrom);
        Assert.Equal(["ada@example.org", "audit@example.org", "grace@example.org"], received.EnvelopeRecipients.Order());
        Assert.Equal("Ada Lovelace", Assert.Single(received.Message.To.Mailboxes).Name);
        Assert.Equal("grace@example.org", Assert.Single(received.Message.Cc.Mailboxes).Address);
        Assert.Empty(received.Message.Bcc);
        Assert.Equal($"Plain text for {message.Subject}.", received.Message.TextBody?.TrimEnd());
        Assert.Equal($"<p>HTML for <b>{message.Subject}</b>.</p>", received.Message.HtmlBody?.TrimEnd());
    }

    [Fact]
    public async Task SendAsync_MessageWithoutFrom_UsesConfiguredFrom()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink, o => o.From = "Migration Desk <desk@example.org>");
        var message = TestMessages.Create(TestMessages.UniqueSubject("No from"));

        await sender.SendAsync(message, CancellationToken.None);

        var received = await sink.WaitForMessageAsync(m => m.Subject == message.Subject, TestMessages.Wait);
        var from = Assert.Single(received.Message.From.Mailboxes);
        Assert.Equal(("Migration Desk", "desk@example.org"), (from.Name, from.Address));
        Assert.Equal("desk@example.org", received.EnvelopeFrom);
    }

    [Fact]
    public async Task SendAsync_TwoMessages_ReuseOneConnection()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);

        await sender.SendAsync(TestMessages.Create("first"), CancellationToken.None);
        await sender.SendAsync(TestMessages.Create("second"), CancellationToken.None);

        var first = await sink.WaitForMessageAsync(m => m.Subject == "first", TestMessages.Wait);
        var second = await sink.WaitForMessageAsync(m => m.Subject == "second", TestMessages.Wait);
        Assert.Equal(1, sink.SessionCount);
        Assert.Equal(first.SessionId, second.SessionId);
    }

    [Fact]
    public async Task SendAsync_ConcurrentCalls_AllArriveOverOneConnection()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);

        await Task.WhenAll(Enumerable.Range(1, 8).Select(i => sender.SendAsync(TestMessages.Create($"parallel {i}"), CancellationToken.None)));

        Assert.Equal(8, sink.Messages.Count);
        Assert.Equal(1, sink.SessionCount);
    }

    [Fact]
    public async Task SendAsync_SinkStopped_ThrowsNamingTheEndpoint()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);
        await sender.SendAsync(TestMessages.Create("before the outage"), CancellationToken.None);

        await sink.StopAsync();
        var error = await Assert.ThrowsAsync<EmailDeliveryException>(
            () => sender.SendAsync(TestMessages.Create("during the outage"), CancellationToken.None));

        Assert.Contains($"127.0.0.1:{sink.Port}", error.Message);
        Assert.StartsWith("Could not connect", error.Message);
        Assert.Null(error.StatusCode);
        Assert.Equal($"127.0.0.1:{sink.Port}", error.Endpoint);
    }

    [Fact]
    public async Task SendAsync_SinkRestartedOnSamePort_Reconnects()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);
        await sender.SendAsync(TestMessages.Create("before"), CancellationToken.None);
        await sink.StopAsync();
        await Assert.ThrowsAsync<EmailDeliveryException>(() => sender.SendAsync(TestMessages.Create("lost"), CancellationToken.None));

        await sink.StartAsync();
        await sender.SendAsync(TestMessages.Create("after"), CancellationToken.None);

        await sink.WaitForMessageAsync(m => m.Subject == "after", TestMessages.Wait);
        Assert.Equal(["before", "after"], sink.Messages.Select(m => m.Subject));
        Assert.Equal(2, sink.SessionCount);
    }

    [Fact]
    public async Task SendAsync_SinkRestartedWhileIdle_ReconnectsWithoutError()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);
        await sender.SendAsync(TestMessages.Create("before"), CancellationToken.None);

        await sink.StopAsync();
        await sink.StartAsync();
        await sender.SendAsync(TestMessages.Create("after"), CancellationToken.None);

        Assert.Equal(["before", "after"], sink.Messages.Select(m => m.Subject));
        Assert.Equal(2, sink.SessionCount);
    }

    [Fact]
    public async Task SendAsync_SinkRestartedWhileIdleWithUserConfigured_ReconnectsLogsInAndSendsOnce()
    {
        await using var sink = await StartSinkAsync(new SmtpSink("mailer", "s3cret"));
        await using var sender = CreateSender(sink, o => (o.User, o.Password) = ("mailer", "s3cret"));
        await sender.SendAsync(TestMessages.Create("before"), CancellationToken.None);

        await sink.StopAsync();
        await sink.StartAsync();
        await sender.SendAsync(TestMessages.Create("after"), CancellationToken.None);
        await sender.SendAsync(TestMessages.Create("and on"), CancellationToken.None);

        Assert.Equal(["before", "after", "and on"], sink.Messages.Select(m => m.Subject));
        Assert.All(sink.Messages, m => Assert.Equal("mailer", m.AuthenticatedUser));
        Assert.Equal(2, sink.SessionCount);
    }

    [Fact]
    public async Task SendAsync_ConnectionBreaksAfterServerTookTheMessage_ThrowsAndDoesNotSendItAgain()
    {
        await using var sink = await StartSinkAsync();
        sink.HangUpAfterAccepting = m => m.Subject == "taken, then cut off";
        await using var sender = CreateSender(sink);
        await sender.SendAsync(TestMessages.Create("warm-up"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(
            () => sender.SendAsync(TestMessages.Create("taken, then cut off"), CancellationToken.None));
        await sender.SendAsync(TestMessages.Create("next one"), CancellationToken.None);

        // The server may have taken it, so the sender leaves the decision to its caller (the outbox's retry with backoff).
        Assert.Null(error.StatusCode);
        Assert.Equal(["warm-up", "taken, then cut off", "next one"], sink.Messages.Select(m => m.Subject));
        Assert.Equal(2, sink.SessionCount);
    }

    [Fact]
    public async Task SendAsync_UserConfigured_AuthenticatesWithThoseCredentials()
    {
        await using var sink = await StartSinkAsync(new SmtpSink("mailer", "s3cret"));
        await using var sender = CreateSender(sink, o => (o.User, o.Password) = ("mailer", "s3cret"));

        await sender.SendAsync(TestMessages.Create("authenticated"), CancellationToken.None);

        var received = await sink.WaitForMessageAsync(m => m.Subject == "authenticated", TestMessages.Wait);
        Assert.Equal("mailer", received.AuthenticatedUser);
    }

    [Fact]
    public async Task SendAsync_WrongPassword_ThrowsNamingUserButNotPassword()
    {
        await using var sink = await StartSinkAsync(new SmtpSink("mailer", "s3cret"));
        await using var sender = CreateSender(sink, o => (o.User, o.Password) = ("mailer", "wrong-horse"));

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(
            () => sender.SendAsync(TestMessages.Create("refused"), CancellationToken.None));

        Assert.Contains($"127.0.0.1:{sink.Port}", error.Message);
        Assert.Contains("'mailer'", error.Message);
        Assert.Contains("535", error.Message);
        Assert.Equal(535, error.StatusCode);
        Assert.DoesNotContain("wrong-horse", error.Message);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task SendAsync_NoUserButServerRequiresLogin_ThrowsWithServerStatusCode()
    {
        await using var sink = await StartSinkAsync(new SmtpSink("mailer", "s3cret"));
        await using var sender = CreateSender(sink);

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(
            () => sender.SendAsync(TestMessages.Create("anonymous"), CancellationToken.None));

        Assert.Equal(530, error.StatusCode);
        Assert.StartsWith($"SMTP server 127.0.0.1:{sink.Port} answered 530", error.Message);
    }

    [Fact]
    public async Task SendAsync_RecipientRefused_ThrowsWithStatusAndRecipientThenKeepsTheConnection()
    {
        await using var sink = await StartSinkAsync();
        sink.RejectRecipient = address => address == "ada@example.org";
        await using var sender = CreateSender(sink);
        await sender.SendAsync(WithRecipient(TestMessages.Create("warm-up"), "grace@example.org"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(
            () => sender.SendAsync(TestMessages.Create("unknown mailbox"), CancellationToken.None));
        await sender.SendAsync(WithRecipient(TestMessages.Create("next one"), "grace@example.org"), CancellationToken.None);

        Assert.Equal(550, error.StatusCode);
        Assert.StartsWith($"SMTP server 127.0.0.1:{sink.Port} answered 550 for recipient ada@example.org:", error.Message);
        Assert.Equal(["warm-up", "next one"], sink.Messages.Select(m => m.Subject));
        Assert.Equal(1, sink.SessionCount);
    }

    [Fact]
    public async Task SendAsync_UseTlsButServerOffersNoStartTls_RefusesToSendInPlainText()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink, o => o.UseTls = true);

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(
            () => sender.SendAsync(TestMessages.Create("must be encrypted"), CancellationToken.None));

        Assert.Contains("STARTTLS", error.Message);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task DisposeAsync_AfterSending_SaysQuit()
    {
        await using var sink = await StartSinkAsync();
        var sender = CreateSender(sink);
        await sender.SendAsync(TestMessages.Create("then quit"), CancellationToken.None);
        Assert.Equal(0, sink.QuitCount);

        await sender.DisposeAsync();

        Assert.Equal(1, sink.QuitCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sender.SendAsync(TestMessages.Create("too late"), CancellationToken.None));
    }

    private static MimeMessage WithRecipient(MimeMessage message, string address)
    {
        message.To.Clear();
        message.To.Add(MailboxAddress.Parse(address));
        return message;
    }

    private static async Task<SmtpSink> StartSinkAsync(SmtpSink? sink = null)
    {
        sink ??= new SmtpSink();
        await sink.StartAsync();
        return sink;
    }

    private static SmtpEmailSender CreateSender(SmtpSink sink, Action<SmtpOptions>? configure = null)
    {
        var options = new SmtpOptions { Host = sink.Host, Port = sink.Port, UseTls = false };
        configure?.Invoke(options);
        return new SmtpEmailSender(Options.Create(options), NullLogger<SmtpEmailSender>.Instance, TimeProvider.System);
    }
}
