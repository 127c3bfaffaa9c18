using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Email;
using MigrationPortal.Engine.Verification;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Outbox;

namespace MigrationPortal.Web.Mailboxes;

public sealed record ItemRefusal(int MailboxId, string Mailbox, string Reason);

/// <summary>What a toolbar action did: how many items it changed and, per refused item, why.</summary>
public sealed record BulkActionReport(string Action, int Applied, IReadOnlyList<ItemRefusal> Refused);

/// <summary>
/// Runs the dashboard's actions on a selection of mailboxes. Each item is loaded, changed through its
/// lifecycle method and saved on its own, so a refusal or a conflict on one item leaves it untouched
/// and does not stop the others.
/// </summary>
public sealed partial class MailboxActionService(
    PortalDbContext db,
    MailboxRules rules,
    CredentialLinks links,
    IPasswordProtector passwords,
    IImapCredentialVerifier verifier,
    OutboxQueue outbox,
    TimeProvider time,
    ILogger<MailboxActionService> logger)
{
    /// <summary>
    /// Start; an item that needs the user's credentials gets its email queued in the same transaction as its
    /// new status, so the two cannot come apart. The emails go out after the whole selection is saved.
    /// </summary>
    public async Task<BulkActionReport> StartAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct)
    {
        var projectName = await db.Projects.Where(p => p.Id == projectId).Select(p => p.Name).SingleOrDefaultAsync(ct) ?? "";
        var report = await ForEachAsync("Start", projectId, ids, ct, (mailbox, pool, now) =>
        {
            if (mailbox.Start(pool, rules, actor, now) is { } issued)
                QueueCredentialEmail(mailbox, issued, projectName);
        });
        outbox.Wake();
        return report;
    }

    /// <summary>
    /// Verify Credentials: logs in to both servers with the stored credentials of each item. Moves no data, uses no
    /// license, changes no status; an item counts as applied when both servers accept, otherwise the report says why.
    /// </summary>
    public async Task<BulkActionReport> VerifyCredentialsAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == projectId, ct);
        var refused = new List<ItemRefusal>();
        var applied = 0;
        foreach (var id in ids.Distinct())
        {
            db.ChangeTracker.Clear();
            var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Id == id && m.ProjectId == projectId, ct);
            if (mailbox is null)
            {
                refused.Add(new ItemRefusal(id, $"#{id}", "It no longer exists in this project."));
                continue;
            }
            try
            {
                mailbox.EnsureCredentialsCanBeVerified();
            }
            catch (MailboxTransitionException e)
            {
                refused.Add(new ItemRefusal(id, mailbox.Label, e.Message));
                continue;
            }
            var check = await verifier.CheckBothAsync(
                project.Source, new SideCredentials(mailbox.Source.LoginName, passwords.Unprotect(mailbox.Source.ProtectedPassword!)),
                project.Destination, new SideCredentials(mailbox.Destination.LoginName, passwords.Unprotect(mailbox.Destination.ProtectedPassword!)), ct);
            var problems = new[] { Describe("Source", check.Source), Describe("Destination", check.Destination) }.OfType<string>().ToList();
            var outcome = problems.Count == 0 ? "both servers accepted the credentials" : string.Join("; ", problems);
            mailbox.RecordCredentialCheck(outcome, actor, time.GetUtcNow());
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                // The check stands; only its line in the history was lost to a concurrent change.
            }
            if (problems.Count == 0) applied++;
            else refused.Add(new ItemRefusal(id, mailbox.Label, outcome));
        }
        db.ChangeTracker.Clear();
        return new BulkActionReport("Verify Credentials", applied, refused);

        static string? Describe(string side, CredentialCheckResult check) => check.Outcome switch
        {
            CredentialCheckOutcome.Accepted => null,
            CredentialCheckOutcome.Rejected => $"{side} credentials are incorrect",
            _ => $"{side} server unreachable: {check.ServerMessage}",
        };
    }

    private void QueueCredentialEmail(Mailbox mailbox, IssuedCredentialRequest issued, string projectName)
    {
        var request = issued.Request;
        var link = links.CreateLink(links.CreateToken(request.Id, issued.Nonce));
        var message = CredentialRequestEmail.Compose(new CredentialRequestEmailContent(
            mailbox.NotifyEmail, projectName, mailbox.Source.Email, mailbox.Destination.Email,
            request.AsksSource, request.AsksDestination, link, request.ExpiresAt));
        outbox.Add(db, mailbox.Id, message);
    }

    public Task<BulkActionReport> StopAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct) =>
        ForEachAsync("Stop", projectId, ids, ct, (mailbox, pool, now) => mailbox.Stop(pool, actor, now));

    public Task<BulkActionReport> ClearCredentialsAsync(int projectId, IReadOnlyCollection<int> ids, bool source, bool destination, string actor, CancellationToken ct)
    {
        if (!source && !destination)
            return Task.FromResult(new BulkActionReport("Clear Credentials", 0,
                [new ItemRefusal(0, "(none)", "Choose Clear Source Credentials, Clear Destination Credentials, or both.")]));
        return ForEachAsync("Clear Credentials", projectId, ids, ct,
            (mailbox, _, now) => mailbox.ClearCredentials(source, destination, actor, now));
    }

    public Task<BulkActionReport> DeleteAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct) =>
        ForEachAsync("Delete", projectId, ids, ct, (mailbox, _, now) =>
        {
            mailbox.Delete(now);
            db.Mailboxes.Remove(mailbox);
            LogDeleted(logger, mailbox.Id, actor);
        });

    private async Task<BulkActionReport> ForEachAsync(string action, int projectId, IReadOnlyCollection<int> ids, CancellationToken ct,
        Action<Mailbox, LicensePool, DateTimeOffset> apply)
    {
        var refused = new List<ItemRefusal>();
        var applied = 0;
        foreach (var id in ids.Distinct())
        {
            db.ChangeTracker.Clear();
            var mailbox = await db.Mailboxes.WithLifecycleState()
                .SingleOrDefaultAsync(m => m.Id == id && m.ProjectId == projectId, ct);
            if (mailbox is null)
            {
                refused.Add(new ItemRefusal(id, $"#{id}", "It no longer exists in this project."));
                continue;
            }
            var label = mailbox.Label;
            try
            {
                var pool = await db.LicensePools.SingleAsync(p => p.Id == LicensePool.SingletonId, ct);
                var now = time.GetUtcNow();
                apply(mailbox, pool, now);
                await CancelUnsentLinksAsync(mailbox, ct);
                await db.SaveChangesAsync(ct);
                applied++;
            }
            catch (Exception e) when (e is MailboxTransitionException or DomainValidationException)
            {
                refused.Add(new ItemRefusal(id, label, e.Message));
            }
            catch (DbUpdateConcurrencyException)
            {
                refused.Add(new ItemRefusal(id, label, "It changed while this action ran; refresh the page and try again."));
            }
        }
        db.ChangeTracker.Clear();
        return new BulkActionReport(action, applied, refused);
    }

    /// <summary>
    /// Every toolbar action revokes the item's earlier link (Start replaces it), so an email still waiting to carry
    /// that link is cancelled. A message queued by this same action is not in the database yet and is kept.
    /// </summary>
    private async Task CancelUnsentLinksAsync(Mailbox mailbox, CancellationToken ct)
    {
        var unsent = await db.OutboxMessages.Where(m => m.MailboxId == mailbox.Id && m.State == OutboxState.Pending).ToListAsync(ct);
        foreach (var message in unsent)
            message.Cancel("Not sent: the link it carried was revoked before delivery.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId} deleted by {Actor}")]
    private static partial void LogDeleted(ILogger logger, int mailboxId, string actor);
}
