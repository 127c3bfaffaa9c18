using MigrationPortal.Core;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Email;
using MigrationPortal.Web.Access;

namespace MigrationPortal.Web.Outbox;

/// <summary>
/// Every email a mailbox's user gets, queued in the caller's unit of work: the credential request (its link kept,
/// encrypted, with the request), the same link again (a reminder or an admin's Resend), and after their submission
/// the pass's outcome with the link that now shows their mailbox's status.
/// </summary>
public sealed class UserEmails(CredentialLinks links, OutboxQueue outbox)
{
    /// <summary>What a Resend or a reminder says when the kept link cannot be decrypted (the portal's keys were replaced).</summary>
    public const string LinkUnreadableText = "Its link can no longer be read back (the portal's keys changed): Stop it, then Start it to send a new one.";

    public void QueueRequest(PortalDbContext db, Mailbox mailbox, IssuedCredentialRequest issued, ProjectEmails project, DateTimeOffset now)
    {
        var request = issued.Request;
        var token = links.CreateToken(request.Id, issued.Nonce);
        request.KeepLink(links.Keep(token));
        outbox.Add(db, mailbox.Id, CredentialRequestEmail.Compose(Content(mailbox, request, project, links.CreateLink(token), now, reminder: false)));
    }

    /// <summary>The request's own link once more; the caller has checked <see cref="CanSendAgain"/> before changing anything.</summary>
    public void QueueAgain(PortalDbContext db, Mailbox mailbox, CredentialRequest request, ProjectEmails project, DateTimeOffset now, bool reminder)
    {
        if (!links.TryReadKept(request.ProtectedToken, out var link))
            throw new MailboxTransitionException(LinkUnreadableText);
        outbox.Add(db, mailbox.Id, CredentialRequestEmail.Compose(Content(mailbox, request, project, link, now, reminder)));
    }

    /// <summary>Whether the mailbox's open request has a link that can be emailed again (null when it has no open request).</summary>
    public bool? CanSendAgain(Mailbox mailbox) =>
        mailbox.CredentialRequests.SingleOrDefault(r => r.IsOutstanding) is { } open ? links.TryReadKept(open.ProtectedToken, out _) : null;

    /// <summary>After the user's submission: the pass completed, or the migration failed; once each per submission.</summary>
    /// <param name="accepted">The request the user's credentials were accepted through (its link shows the status).</param>
    public void QueueOutcome(PortalDbContext db, Mailbox mailbox, CredentialRequest accepted, ProjectEmails project, bool completed,
        MigrationPass? pass, DateTimeOffset now)
    {
        if (completed ? accepted.CompletionNotifiedAt is not null : accepted.FailureNotifiedAt is not null) return;
        if (!CredentialRequestEmail.CanSendTo(mailbox.NotifyEmail)) return;
        links.TryReadKept(accepted.ProtectedToken, out var link);
        outbox.Add(db, mailbox.Id, MigrationStatusEmail.Compose(new MigrationStatusEmailContent(
            mailbox.NotifyEmail, project.ProjectName, mailbox.Source.Email, mailbox.Destination.Email, completed,
            pass?.ItemsCopied ?? 0, pass?.BytesCopied ?? 0, link)
        {
            Template = project.For(completed ? UserEmailKind.Completed : UserEmailKind.Failed),
            Culture = project.Culture,
        }));
        if (completed) accepted.RecordCompletionNotified(now);
        else accepted.RecordFailureNotified(now);
    }

    private static CredentialRequestEmailContent Content(Mailbox mailbox, CredentialRequest request, ProjectEmails project, Uri link, DateTimeOffset now, bool reminder) =>
        new(mailbox.NotifyEmail, project.ProjectName, mailbox.Source.Email, mailbox.Destination.Email, request.AsksSource, request.AsksDestination, link, request.ExpiresAt)
        {
            IsReminder = reminder,
            SentAt = now,
            Template = project.For(UserEmailKind.Request),
            Culture = project.Culture,
        };
}
