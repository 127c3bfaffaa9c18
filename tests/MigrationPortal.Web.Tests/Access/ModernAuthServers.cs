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

