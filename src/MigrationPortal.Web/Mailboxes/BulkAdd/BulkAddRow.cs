using System.Text.Json.Serialization;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Web.Mailboxes.BulkAdd;

/// <summary>
/// A row ready to become a mailbox, as the preview carries it to the confirm: each side as the mailbox will store it,
/// the password already ciphertext of <see cref="MigrationPortal.Core.IPasswordProtector"/> (null for an unknown side).
/// The short names keep the preview's hidden field small: 20,000 rows travel in it.
/// </summary>
public sealed record BulkAddRow(
    [property: JsonPropertyName("l")] long Line,
    [property: JsonPropertyName("se")] string SourceEmail,
    [property: JsonPropertyName("sl")] string SourceLogin,
    [property: JsonPropertyName("sp")] string? SourceProtectedPassword,
    [property: JsonPropertyName("de")] string DestinationEmail,
    [property: JsonPropertyName("dl")] string DestinationLogin,
    [property: JsonPropertyName("dp")] string? DestinationProtectedPassword,
    [property: JsonPropertyName("n")] string NotifyEmail)
{
    public string Label => Mailbox.LabelFor(SourceEmail, DestinationEmail);

    /// <exception cref="MigrationPortal.Core.DomainValidationException">The row breaks a rule of the domain.</exception>
    public Mailbox ToMailbox(int projectId, string actor, DateTimeOffset now) =>
        new(projectId, Side(SourceEmail, SourceLogin, SourceProtectedPassword), Side(DestinationEmail, DestinationLogin, DestinationProtectedPassword),
            NotifyEmail, actor, now);

    public static BulkAddRow From(long line, MailboxCredentials source, MailboxCredentials destination, string notifyEmail) =>
        new(line, source.Email, source.LoginName, source.ProtectedPassword, destination.Email, destination.LoginName,
            destination.ProtectedPassword, notifyEmail);

    private static MailboxCredentials Side(string email, string login, string? protectedPassword) =>
        new(email, login.Length == 0 ? null : login, protectedPassword);
}
