using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// Finishes a Stop whose worker is gone: a mailbox left Stopping with no live claim (its worker died before ending
/// the pass) is Stopped with what its checkpoints recorded, so it does not say Stopping forever. The dead worker's
/// late writes are refused by its claim id, so nothing it still sends can change the outcome.
/// </summary>
public sealed class OrphanedStopSweep(PortalDbContext db, MailboxUnitOfWork unitOfWork, TimeProvider time)
{
    public const int BatchSize = 50;

    /// <returns>How many mailboxes were stopped.</returns>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var live = MigrationClaimStore.Live(db, now);
        var orphans = await db.Mailboxes
            .Where(m => m.Status == MailboxStatus.Stopping && !live.Any(c => c.MailboxId == m.Id))
            .OrderBy(m => m.Id).Select(m => m.Id).Take(BatchSize).ToListAsync(ct);
        var stopped = 0;
        foreach (var id in orphans)
        {
            var outcome = await unitOfWork.RunAsync(id, null, (work, _) =>
            {
                // Re-checked on the freshly loaded mailbox: an admin may have stopped it meanwhile.
                if (work.Mailbox.Status == MailboxStatus.Stopping)
                    work.Mailbox.Stop(work.Licenses, MigrationWorker.Engine, work.Now);
                return Task.CompletedTask;
            }, ct);
            if (outcome.Applied) stopped++;
        }
        return stopped;
    }
}
