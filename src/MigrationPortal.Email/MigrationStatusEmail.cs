using System.Globalization;
using System.Net;
using MimeKit;

namespace MigrationPortal.Email;

/// <summary>What the user is told after they submitted their credentials: the pass completed, or the migration failed.</summary>
/// <param name="StatusLink">The link they used, which now shows their mailbox's status; null when it cannot be read back.</param>
public sealed record MigrationStatusEmailContent(
    string To,
    string ProjectName,
    string SourceEmail,
    string DestinationEmail,
    bool Completed,
    int MessagesCopied,
    long BytesCopied,
    Uri? StatusLink);

/// <summary>
/// The second email a user gets: "Your mailbox has been copied", or that it could not be, and what happens next. It
/// names no folder, no subject and no reason from a server: the admin has those, the user needs only what to expect.
/// </summary>
public static class MigrationStatusEmail
{
    public const string CompletedSubject = "Your mailbox has been copied";
    public const string FailedSubject = "Your mailbox migration needs your administrator";

    public static MimeMessage Compose(MigrationStatusEmailContent content)
    {
        var mailbox = content.SourceEmail == content.DestinationEmail
            ? content.SourceEmail
            : $"{content.SourceEmail} (to {content.DestinationEmail})";
        var copied = string.Create(CultureInfo.InvariantCulture, $"{content.MessagesCopied:N0} messages ({Size(content.BytesCopied)})");
        var body = content.Completed
            ? $"Your mailbox {mailbox} has been copied as part of \"{content.ProjectName}\": {copied} in this pass. You do not need to do anything."
            : $"The migration of your mailbox {mailbox} (\"{content.ProjectName}\") stopped before it was complete. Nothing was lost: "
              + "your administrator has been told and will start it again. If your password is needed again, you will get a new email with a new link.";
        var status = content.StatusLink is { } link ? $"You can follow your mailbox's status on this page for 7 days:\n{link}" : "";

        string H(string value) => WebUtility.HtmlEncode(value);
        var text = $"Hello,\n\n{body}\n\n{status}\n";
        var statusHtml = content.StatusLink is { } l
            ? $"""<p>You can follow your mailbox's status <a href="{H(l.AbsoluteUri)}">on this page</a> for 7 days.</p>"""
            : "";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>{H(body)}</p>
            {statusHtml}
            </body></html>
            """;

        var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse(content.To));
        message.Subject = content.Completed ? CompletedSubject : FailedSubject;
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    /// <summary>Bytes as a reader says them (KB, MB, GB, 1000-based like mail clients show sizes).</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.#} GB"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.#} MB"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
