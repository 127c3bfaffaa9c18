using System.Globalization;
using System.Net;
using MimeKit;

namespace MigrationPortal.Email;

/// <summary>The email that gives a new (or reset) admin a one-time link to choose their password.</summary>
public static class AdminInvitationEmail
{
    public const string Subject = "Your MigrationPortal admin account";

    /// <param name="reset">True when an existing account was reset (its password and second factor removed).</param>
    public static MimeMessage Compose(string to, string invitedBy, Uri link, DateTimeOffset validUntil, bool reset)
    {
        var until = validUntil.UtcDateTime.ToString("dddd d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var what = reset
            ? $"{invitedBy} reset your MigrationPortal admin account {to}: its password and two-factor sign-in were removed."
            : $"{invitedBy} invited you to administer mailbox migrations on MigrationPortal, as {to}.";
        var text = $"""
            Hello,

            {what}
            Choose your password on this page (the link works once):
            {link}

            The link works until {until}. If you did not expect this email, do not use the link, and tell {invitedBy}.
            """;

        string H(string value) => WebUtility.HtmlEncode(value);
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>{H(what)}</p>
            <p><a href="{H(link.AbsoluteUri)}">Choose your password</a> (the link works once).</p>
            <p>The link works until {H(until)}. If you did not expect this email, do not use the link, and tell {H(invitedBy)}.</p>
            </body></html>
            """;

        var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = Subject;
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }
}
