using System.Globalization;
using MigrationPortal.Core.Projects;
using MigrationPortal.Email.Templates;
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

    /// <summary>The project's own wording; null: the default of <see cref="Culture"/>.</summary>
    public UserEmailTemplate? Template { get; init; }

    /// <summary>The language of the project's users (English when null).</summary>
    public CultureInfo? Culture { get; init; }
}

/// <summary>The credential request (and its reminders): which credentials are needed, the link, and until when it works.</summary>
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

    /// <summary>The project's wording (<see cref="CredentialRequestEmailContent.Template"/>) or the default of its language.</summary>
    public static MimeMessage Compose(CredentialRequestEmailContent content)
    {
        var culture = content.Culture ?? CultureInfo.GetCultureInfo("en");
        var template = content.Template ?? UserEmailTemplate.Default(UserEmailKind.Request, culture);
        var values = new UserEmailValues(content.To, content.ProjectName, content.SourceEmail, content.DestinationEmail, content.Link,
            content.ValidUntil, content.AsksSource, content.AsksDestination);
        return template.Compose(values, culture, content.IsReminder ? content.ValidUntil - content.SentAt : null);
    }
}
