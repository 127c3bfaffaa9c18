using MimeKit;

namespace MigrationPortal.Email.Tests;

internal static class TestMessages
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static MimeMessage Create(string subject, string? from = null)
    {
        var message = new MimeMessage();
        if (from is not null)
        {
            message.From.Add(MailboxAddress.Parse(from));
        }

        message.To.Add(new MailboxAddress("Ada Lovelace", "ada@example.org"));
        message.Subject = subject;
        message.Body = new BodyBuilder
        {
            TextBody = $"Plain text for {subject}.",
            HtmlBody = $"<p>HTML for <b>{subject}</b>.</p>",
        }.ToMessageBody();
        return message;
    }

    public static string UniqueSubject(string what) => $"{what} {Guid.NewGuid():N}";
}
