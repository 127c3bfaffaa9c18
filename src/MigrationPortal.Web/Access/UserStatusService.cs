using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Access;

/// <summary>What the user's status page shows, and nothing more: no folder, no subject, no server's words.</summary>
/// <param name="Active">Still to finish (submitted, copying, stopping): the page refreshes itself.</param>
/// <param name="LastPass">The last pass that ended: its outcome, when, and how many messages it copied.</param>
public sealed record UserStatus(
    string ProjectName,
    string SourceEmail,
    string DestinationEmail,
    MailboxStatus Status,
    bool Active,
    int? MessagesFound,
    int MessagesCopied,
    long? BytesFound,
    long BytesCopied,
    MigrationPass? LastPass);

/// <summary>
/// The emailed link after the user's credentials were accepted through it: it shows the mailbox's status while the
/// migration runs and for <see cref="PortalOptions.StatusPageLifetime"/> after it ends. A link that was never accepted,
/// one superseded by a newer request (the admin asked again), or one whose mailbox is gone shows the neutral page.
/// Reading it changes nothing.
/// </summary>
public sealed class UserStatusService(PortalDbContext db, CredentialLinks links, TimeProvider time, IOptions<PortalOptions> options)
{
    public async Task<UserStatus?> FindAsync(string? token, CancellationToken ct)
    {
        if (!links.TryRead(token, out var id, out var nonce)) return null;
        var request = await db.CredentialRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (request is null || !request.Matches(nonce) || request.AcceptedAt is null) return null;
        if (await db.CredentialRequests.AnyAsync(r => r.MailboxId == request.MailboxId && r.CreatedAt > request.CreatedAt, ct)) return null;

        var found = await db.Mailboxes.AsNoTracking().Where(m => m.Id == request.MailboxId)
            .Join(db.Projects, m => m.ProjectId, p => p.Id, (m, p) => new { Mailbox = m, ProjectName = p.Name })
            .SingleOrDefaultAsync(ct);
        if (found is null) return null;
        var mailbox = found.Mailbox;
        var active = mailbox.Status is MailboxStatus.Submitted or MailboxStatus.Migrating or MailboxStatus.Stopping;
        var endedAt = mailbox.StatusChangedAt ?? request.AcceptedAt.Value;
        if (!active && time.GetUtcNow() > endedAt + options.Value.StatusPageLifetime) return null;

        // Only passes since the user's submission: an earlier one is another story.
        var passes = await db.MigrationPasses.AsNoTracking()
            .Where(p => p.MailboxId == mailbox.Id && p.StartedAt >= request.AcceptedAt.Value)
            .OrderByDescending(p => p.Number).Take(2).ToListAsync(ct);
        var running = passes.FirstOrDefault(p => p.Outcome == PassOutcome.Running);
        var ended = passes.FirstOrDefault(p => p.Outcome != PassOutcome.Running);
        var shown = running ?? ended;
        return new UserStatus(found.ProjectName, mailbox.Source.Email, mailbox.Destination.Email, mailbox.Status, active,
            shown?.MessagesFound, shown?.ItemsCopied ?? 0, shown?.BytesFound, shown?.BytesCopied ?? 0, ended);
    }
}
