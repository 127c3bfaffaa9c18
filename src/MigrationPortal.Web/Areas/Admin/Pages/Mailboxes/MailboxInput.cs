using System.ComponentModel.DataAnnotations;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Forms;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

/// <summary>The mailbox form shared by Add and Edit. Passwords are only ever typed in, never shown back.</summary>
public sealed class MailboxInput
{
    public const int MaxPasswordLength = 1024;

    [Required, EmailAddress, StringLength(MailboxCredentials.MaxEmailLength), Display(Name = "Source email")]
    public string SourceEmail { get; set; } = "";

    [StringLength(MailboxCredentials.MaxLoginLength), Display(Name = "Source login name")]
    public string? SourceLogin { get; set; }

    [Display(Name = "I don't know the source username or password")]
    public bool SourceUnknown { get; set; }

    [DataType(DataType.Password), StringLength(MaxPasswordLength), Display(Name = "Source password")]
    public string? SourcePassword { get; set; }

    [Required, EmailAddress, StringLength(MailboxCredentials.MaxEmailLength), Display(Name = "Destination email")]
    public string DestinationEmail { get; set; } = "";

    [StringLength(MailboxCredentials.MaxLoginLength), Display(Name = "Destination login name")]
    public string? DestinationLogin { get; set; }

    [Display(Name = "I don't know the destination username or password")]
    public bool DestinationUnknown { get; set; }

    [DataType(DataType.Password), StringLength(MaxPasswordLength), Display(Name = "Destination password")]
    public string? DestinationPassword { get; set; }

    [Required, EmailAddress, SendableAddress, StringLength(Mailbox.MaxNotifyLength), Display(Name = "Notify the mailbox user at")]
    public string NotifyEmail { get; set; } = "";

    public static MailboxInput From(Mailbox mailbox) => new()
    {
        SourceEmail = mailbox.Source.Email,
        SourceLogin = mailbox.Source.LoginName,
        SourceUnknown = !mailbox.Source.IsKnown,
        DestinationEmail = mailbox.Destination.Email,
        DestinationLogin = mailbox.Destination.LoginName,
        DestinationUnknown = !mailbox.Destination.IsKnown,
        NotifyEmail = mailbox.NotifyEmail,
    };

    public MailboxCredentials Source(IPasswordProtector protector, MailboxCredentials? current) =>
        Side("source", SourceEmail, SourceLogin, SourceUnknown, SourcePassword, current, protector);

    public MailboxCredentials Destination(IPasswordProtector protector, MailboxCredentials? current) =>
        Side("destination", DestinationEmail, DestinationLogin, DestinationUnknown, DestinationPassword, current, protector);

    /// <summary>
    /// A side is either "I don't know" (no password kept) or known: a typed password replaces the stored one,
    /// and a blank one keeps what is stored. The login name defaults to the email address.
    /// </summary>
    private static MailboxCredentials Side(string side, string email, string? login, bool unknown, string? password,
        MailboxCredentials? current, IPasswordProtector protector)
    {
        if (unknown)
            return new MailboxCredentials(email, login, protectedPassword: null);

        var loginName = string.IsNullOrWhiteSpace(login) ? email : login;
        if (!string.IsNullOrEmpty(password))
            return new MailboxCredentials(email, loginName, protector.Protect(password));
        if (current is { IsKnown: true })
            return new MailboxCredentials(email, loginName, current.ProtectedPassword);
        throw new DomainValidationException(
            $"Enter the {side} password, or check \"I don't know the {side} username or password\" to ask the user for it.");
    }
}
