using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MigrationPortal.Fixtures.Smtp;
using MimeKit;

namespace MigrationPortal.Email.Tests;

/// <summary>
/// The values the portal puts into an email come from admins and imported lists: a recipient address, a project name, an
/// admin's name. CR/LF in them followed by an SMTP command or a header must never add a recipient, a header or a second
/// message: either MimeKit refuses the address before anything is sent, or exactly the one intended recipient receives
/// exactly the one message, with the hostile text inside the body (or encoded within its own header).
/// </summary>
public sealed class HeaderInjectionTests
{
    private const string Victim = "victim@example.org";
    private const string Intended = "ada@example.org";
    private static readonly Uri Link = new("https://portal.example.org/credentials/abc");

    // Text that, copied raw into the header block or the SMTP dialogue, would add a Bcc, end DATA early (a line with a
    // single dot) and start a second transaction to the victim.
    private const string Smuggled =
        $"Project\r\nBcc: {Victim}\r\nX-Injected: yes\r\n\r\n.\r\nRSET\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<{Victim}>\r\nDATA\r\nSubject: injected\r\n\r\nhi\r\n.\r\n";

    public static TheoryData<string> HostileRecipients() =>
    [
        $"{Intended}\r\nRCPT TO:<{Victim}>",
        $"{Intended}>\r\nRCPT TO:<{Victim}",
        $"{Intended}\r\nBcc: {Victim}",
        $"\"Ada\r\nBcc: {Victim}\" <{Intended}>",
        $"Ada\r\nBcc: {Victim} <{Intended}>",
        $"<{Intended}>\r\n.\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<{Victim}>",
        $"{Intended}, {Victim}",
        $"{Intended}\nBcc: {Victim}",
    ];

    [Theory]
    [MemberData(nameof(HostileRecipients))]
    public async Task CredentialRequestEmail_HostileRecipient_RefusedBeforeSendingOrOnlyTheIntendedRecipient(string to)
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);

        MimeMessage message;
        try
        {
            message = CredentialRequestEmail.Compose(Content(to, "Spring move"));
        }
        catch (ParseException)
        {
            // Refused while composing: nothing was sent, and the portal reports the address as invalid.
            Assert.Empty(sink.Messages);
            return;
        }
        await sender.SendAsync(message, CancellationToken.None);

        await AssertOnlyIntendedAsync(sink, CredentialRequestEmail.Subject);
    }

    [Theory]
    [MemberData(nameof(HostileRecipients))]
    public async Task AdminInvitationEmail_HostileRecipient_RefusedBeforeSendingOrOnlyTheIntendedRecipient(string to)
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);

        MimeMessage message;
        try
        {
            message = AdminInvitationEmail.Compose(to, "Grace", Link, DateTimeOffset.UnixEpoch.AddYears(60), reset: false);
        }
        catch (ParseException)
        {
            Assert.Empty(sink.Messages);
            return;
        }
        await sender.SendAsync(message, CancellationToken.None);

        await AssertOnlyIntendedAsync(sink, AdminInvitationEmail.Subject);
    }

    [Fact]
    public async Task CredentialRequestEmail_ProjectNameWithCrLfHeadersAndSmtpCommands_OnlyInTheBody()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);

        await sender.SendAsync(CredentialRequestEmail.Compose(Content(Intended, Smuggled)), CancellationToken.None);

        var received = await AssertOnlyIntendedAsync(sink, CredentialRequestEmail.Subject);
        // The name arrives whole in the text body: the lone dot line was dot-stuffed on the way and unstuffed again.
        Assert.Contains(Smuggled, (received.Message.TextBody ?? "").ReplaceLineEndings("\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminInvitationEmail_InviterNameWithCrLfHeadersAndSmtpCommands_OnlyInTheBody()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);

        await sender.SendAsync(AdminInvitationEmail.Compose(Intended, Smuggled, Link, DateTimeOffset.UnixEpoch.AddYears(60), reset: true),
            CancellationToken.None);

        var received = await AssertOnlyIntendedAsync(sink, AdminInvitationEmail.Subject);
        Assert.Contains(Smuggled, (received.Message.TextBody ?? "").ReplaceLineEndings("\r\n"), StringComparison.Ordinal);
    }

    /// <summary>
    /// Below the portal's composers: a display name and a subject set directly with CR/LF in them (as a future composer
    /// might) are encoded by MimeKit within their own header, never written as a header line of their own.
    /// </summary>
    [Fact]
    public async Task SendAsync_DisplayNameAndSubjectWithCrLfHeader_EncodedWithinTheirOwnHeader()
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);
        var message = new MimeMessage { Subject = $"Hello\r\nBcc: {Victim}\r\nX-Injected: yes" };
        message.To.Add(new MailboxAddress($"Ada\r\nBcc: {Victim}\r\nX-Injected: yes", Intended));
        message.Body = new TextPart("plain") { Text = "Body\r\n" };

        await sender.SendAsync(message, CancellationToken.None);

        var received = await AssertOnlyIntendedAsync(sink, subject: null);
        Assert.Contains("Bcc:", received.Message.Subject, StringComparison.Ordinal);
        Assert.Contains("Bcc:", Assert.Single(received.Message.To.Mailboxes).Name, StringComparison.Ordinal);
    }

    /// <summary>
    /// An address object rather than a parsed string, with CR/LF and an SMTP command inside: it must never reach the RCPT
    /// line as is. MimeKit refuses it when the object is made (a ParseException, nothing sent); were that to change, the
    /// message must still go to one recipient only, never to the victim.
    /// </summary>
    [Theory]
    [InlineData($"{Intended}>\r\nRCPT TO:<{Victim}")]
    [InlineData($"{Intended}\r\nRCPT TO:<{Victim}>")]
    public async Task SendAsync_AddressObjectWithCrLfAndRcptCommand_RefusedOrVictimNeverAdded(string address)
    {
        await using var sink = await StartSinkAsync();
        await using var sender = CreateSender(sink);
        var message = new MimeMessage { Subject = "address object" };
        message.Body = new TextPart("plain") { Text = "Body\r\n" };
        try
        {
            message.To.Add(new MailboxAddress("Ada", address));
        }
        catch (ParseException)
        {
            Assert.Empty(sink.Messages);
            return;
        }

        try
        {
            await sender.SendAsync(message, CancellationToken.None);
        }
        catch (EmailDeliveryException)
        {
            // Refused by MailKit or by the server: a clear error, and the victim got nothing.
        }

        Assert.DoesNotContain(sink.Messages, m => m.EnvelopeRecipients.Contains(Victim, StringComparer.OrdinalIgnoreCase));
        Assert.All(sink.Messages, m => Assert.Single(m.EnvelopeRecipients));
    }

    /// <summary>
    /// The sink got one message (after a short wait for any second one a smuggled DATA would have made), for one envelope
    /// recipient, the intended one, with none of the smuggled headers; the subject is the composer's own.
    /// </summary>
    private static async Task<ReceivedMessage> AssertOnlyIntendedAsync(SmtpSink sink, string? subject)
    {
        var received = await sink.WaitForMessageAsync(_ => true, TestMessages.Wait);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Single(sink.Messages);
        Assert.Equal([Intended], received.EnvelopeRecipients);
        Assert.Equal(Intended, Assert.Single(received.Message.To.Mailboxes).Address);
        Assert.Empty(received.Message.Bcc);
        Assert.Empty(received.Message.Cc);
        Assert.DoesNotContain(received.Message.Headers, h => h.Field is "X-Injected" or "Bcc" or "RCPT TO" or "MAIL FROM");
        if (subject is not null) Assert.Equal(subject, received.Message.Subject);
        return received;
    }

    private static CredentialRequestEmailContent Content(string to, string projectName) =>
        new(to, projectName, "ada@old.example.org", "ada@new.example.org", AsksSource: true, AsksDestination: true, Link,
            DateTimeOffset.UnixEpoch.AddYears(60));

    private static async Task<SmtpSink> StartSinkAsync()
    {
        var sink = new SmtpSink();
        await sink.StartAsync();
        return sink;
    }

    private static SmtpEmailSender CreateSender(SmtpSink sink) =>
        new(Options.Create(new SmtpOptions { Host = sink.Host, Port = sink.Port, UseTls = false, From = "Portal <portal@example.org>" }),
            NullLogger<SmtpEmailSender>.Instance, TimeProvider.System);
}
