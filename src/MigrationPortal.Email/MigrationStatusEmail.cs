using System.Globalization;
using MigrationPortal.Core.Projects;
using MigrationPortal.Email.Templates;
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
    Uri? StatusLink)
{
    /// <summary>The project's own wording; null: the default of <see cref="Culture"/>.</summary>
    public UserEmailTemplate? Template { get; init; }

    /// <summary>The language of the project's users (English when null).</summary>
    public CultureInfo? Culture { get; init; }
}

/// <summary>
/// The email after the user's answer: "Your mailbox has been copied", or that it could not be, and what happens next.
/// The defaults name no folder, no subject and no server's reason: the admin has those, the user needs what to expect.
/// </summary>
public static class MigrationStatusEmail
{
    public const string CompletedSubject = "Your mailbox has been copied";
    public const string FailedSubject = "Your mailbox migration needs your administrator";

    public static MimeMessage Compose(MigrationStatusEmailContent content)
    {
        var culture = content.Culture ?? CultureInfo.GetCultureInfo("en");
        var kind = content.Completed ? UserEmailKind.Completed : UserEmailKind.Failed;
        var template = content.Template ?? UserEmailTemplate.Default(kind, culture);
        return template.Compose(new UserEmailValues(content.To, content.ProjectName, content.SourceEmail, content.DestinationEmail,
            content.StatusLink, Messages: content.MessagesCopied, Bytes: content.BytesCopied), culture);
    }
}
