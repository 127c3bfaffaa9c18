using MigrationPortal.Fixtures.OAuth;
using MigrationPortal.Fixtures.Smtp;
using MimeKit;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>A local OAuth server, Dovecot servers that accept only its tokens for token logins, and a real SMTP server.</summary>
public sealed partial class ModernAuthServers : IAsyncLifetime
{
    public OAuthMailServers Mail { get; } = new();
    public SmtpSink Smtp { get; } = new();
    public LocalOAuthServer OAuth => Mail.OAuth;

    public Task InitializeAsync() => Task.WhenAll(Mail.InitializeAsync(), ((IAsyncLifetime)Smtp).InitializeAsync());

    public async Task DisposeAsync()
    {
        await Mail.DisposeAsync();
        await ((IAsyncLifetime)Smtp).DisposeAsync();
    }

    /// <summary>
    /// A user on both servers (the password only for seeding and reading back: the portal signs in with tokens) with
    /// <paramref name="messages"/> messages in the source's INBOX.
    /// </summary>
    public async Task<(string Email, string Password)> SeedUserAsync(string domain, int messages, string? localPart = null)
    {
        var email = (localPart ?? $"u{Guid.NewGuid():N}"[..10]) + "@" + domain;
        var password = "seed-" + Guid.NewGuid().ToString("N");
        await Mail.Google.AddUserAsync(email, password);
        await Mail.Microsoft.AddUserAsync(email, password);
        await Mail.Google.AppendMessagesAsync(email, password, "INBOX", Enumerable.Range(1, messages).Select(i => Message(email, i)));
        return (email, password);
    }

    /// <summary>A small distinct message for a mailbox's seed.</summary>
    public static MimeMessage Message(string to, int i)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.org"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = $"Message {i}";
        message.MessageId = $"m{i}.{Guid.NewGuid():N}@example.org";
        message.Body = new TextPart("plain") { Text = $"Body {i}\r\n" };
        return message;
    }
}

