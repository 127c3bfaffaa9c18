using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;

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
    TimeProvider time,
    ILogger<MailboxActionService> logger)
{
    public Task<BulkActionReport> StartAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct) =>
        ForEachAsync("Start", projectId, ids, ct, (mailbox, pool, now) =>
        {
            mailbox.Start(pool, rules, actor, now);
            // The credential request is saved with the item; the email that carries its link is the outbox's job.
        });

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
                apply(mailbox, pool, time.GetUtcNow());
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId} deleted by {Actor}")]
    private static partial void LogDeleted(ILogger logger, int mailboxId, string actor);
}
