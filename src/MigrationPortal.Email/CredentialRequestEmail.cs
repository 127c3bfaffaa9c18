using System.Globalization;
using System.Net;
using MimeKit;

namespace MigrationPortal.Email;

/// <summary>What the credential request email says; everything in it is shown to the mailbox user.</summary>
public sealed record CredentialRequestEmailContent(
    string To,
    string ProjectName,
    string SourceEmail,
    string DestinationEmail,
    bool AsksSource,
    bool AsksDestination,
    Uri Link,
    DateTimeOffset ValidUntil)
{
    /// <summary>A reminder of an unanswered request: the same link, saying how long it still works.</summary>
    public bool IsReminder { get; init; }

    /// <summary>When the email is composed; a reminder counts the time left from it.</summary>
    public DateTimeOffset SentAt { get; init; }
}

/// <summary>The one email an end user ever sees: which credentials are needed, the one-time link, and until when it works.</summary>
public static class CredentialRequestEmail
{
    public const string Subject = "ACTION REQUIRED: Information required for your migration";
    public const string ReminderSubject = "Reminder: " + Subject;

    /// <summary>
    /// Whether an email can go to exactly this address. The portal's own check of an address is looser than the mail
    /// standard: MimeKit reads "user(comment@example.org" or "user.@example.org" as no address at all (composing threw, and
    /// Start showed an error page), and "=HYPERLINK('x')@example.org" as "=HYPERLINK@example.org", the part in parentheses
    /// being a comment: the link would go to an address that neither the admin nor the dashboard shows.
    /// </summary>
    public static bool CanSendTo(string address) =>
        MailboxAddress.TryParse(address, out var parsed) && parsed.Address == address;

    /// <summary>Why an address that fails <see cref="CanSendTo"/> is refused, wherever it is (typed, imported, or met by Start).</summary>
    public static string CannotSendTo(string address) =>
        $"The notification address “{address}” cannot be emailed as it is written: a mail program reads it as another address, or as none.";

    public static MimeMessage Compose(CredentialRequestEmailContent content)
    {
        var asked = (content.AsksSource, content.AsksDestination) switch
        {
            (true, true) => "source and destination",
            (true, false) => "source",
            _ => "destination",
        };
        var until = content.ValidUntil.UtcDateTime.ToString("dddd d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var mailbox = content.SourceEmail == content.DestinationEmail
            ? content.SourceEmail
            : $"{content.SourceEmail} (moving to {content.DestinationEmail})";

        var left = content.IsReminder ? " (" + TimeLeft(content.ValidUntil - content.SentAt) + " from now)" : "";
        var reminder = "This is a reminder: we have not received your credentials yet.";
        var opening = content.IsReminder ? reminder + "\n" : "";
        var text = $"""
            Hello,

            {opening}Your mailbox {mailbox} is being migrated as part of "{content.ProjectName}".
            To continue, we need the {asked} credentials (login name and password) of your mailbox.

            Enter them on this secure page:
            {content.Link}

            The link works until {until}{left}. Your administrator does not see what you type.
            If you did not expect this email, ask your administrator before you use the link.
            """;

        string H(string value) => WebUtility.HtmlEncode(value);
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            {(content.IsReminder ? "<p>" + reminder + "</p>" : "")}
            <p>Your mailbox <strong>{H(mailbox)}</strong> is being migrated as part of <strong>{H(content.ProjectName)}</strong>.
            To continue, we need the <strong>{asked}</strong> credentials (login name and password) of your mailbox.</p>
            <p><a href="{H(content.Link.AbsoluteUri)}">Enter your {asked} credentials</a></p>
            <p>The link works until {H(until)}{H(left)}. Your administrator does not see what you type.
            If you did not expect this email, ask your administrator before you use the link.</p>
            </body></html>
            """;

        var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse(content.To));
        message.Subject = content.IsReminder ? ReminderSubject : Subject;
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    /// <summary>Whole days, or hours when less than a day is left: what a reader takes in at a glance.</summary>
    public static string TimeLeft(TimeSpan left) => left switch
    {
        { TotalDays: >= 2 } => $"{(int)left.TotalDays} days",
        { TotalHours: >= 2 } => $"{(int)left.TotalHours} hours",
        _ => "less than 2 hours",
    };
}
