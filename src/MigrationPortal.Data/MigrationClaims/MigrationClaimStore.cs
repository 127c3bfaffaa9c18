using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Concurrency;

namespace MigrationPortal.Data.MigrationClaims;

/// <summary>A worker's hold on one mailbox: the id that fences its writes and the lease it must keep renewing.</summary>
public sealed record Claim(int MailboxId, int ProjectId, Guid ClaimId, DateTimeOffset LeaseUntil);

/// <summary>
/// Hands Submitted mailboxes (and Migrating ones whose worker's lease lapsed, to be resumed) to workers, at most
/// the project's <c>MaxConcurrentMigrations</c> at a time, never one mailbox to two workers.
///
/// On SQLite the claim is one write transaction (BEGIN IMMEDIATE, behind this process's write gate): nobody else
/// writes between counting the project's live claims and taking one, which is what makes the cap and the "one
/// worker" rule hold; one portal process per SQLite file. PostgreSQL with several instances claims with
/// SELECT … FOR UPDATE SKIP LOCKED and a per-project slot row (the scale-out issue).
/// </summary>
public sealed class MigrationClaimStore(PortalDbContext db, DatabaseWriteGate gate, TimeProvider time)
{
    public async Task<Claim?> TryClaimNextAsync(string owner, TimeSpan lease, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow();
            var live = db.MigrationClaims.Where(c => c.LeaseUntil > now);
            var next = await db.Mailboxes
                .Where(m => m.Status == MailboxStatus.Submitted || m.Status == MailboxStatus.Migrating)
                .Where(m => !live.Any(c => c.MailboxId == m.Id))
                .Where(m => live.Count(c => c.ProjectId == m.ProjectId)
                    < db.Projects.Where(p => p.Id == m.ProjectId).Select(p => p.MaxConcurrentMigrations).First())
                .OrderBy(m => m.StatusChangedAt).ThenBy(m => m.Id)
                .Select(m => new { m.Id, m.ProjectId })
                .FirstOrDefaultAsync(ct);
            if (next is null) return null;

            // A lapsed claim of the same mailbox is replaced: its worker's id stops fencing anything.
            await db.MigrationClaims.Where(c => c.MailboxId == next.Id).ExecuteDeleteAsync(ct);
            var claim = new MigrationClaim(next.Id, next.ProjectId, owner, now, now + lease);
            db.MigrationClaims.Add(claim);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return new Claim(claim.MailboxId, claim.ProjectId, claim.ClaimId, claim.LeaseUntil);
        }
    }

    /// <summary>The heartbeat. False: the claim is no longer this worker's (taken over after its lease lapsed, or released).</summary>
    public async Task<bool> RenewAsync(Claim claim, TimeSpan lease, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        using (await gate.EnterAsync(ct))
            return await db.MigrationClaims.Where(c => c.MailboxId == claim.MailboxId && c.ClaimId == claim.ClaimId)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseUntil, now + lease).SetProperty(c => c.HeartbeatAt, now), ct) == 1;
    }

    /// <summary>For a write made on the claim's behalf, inside the caller's transaction: does the claim still stand?</summary>
    public Task<bool> HoldsAsync(Claim claim, CancellationToken ct) =>
        db.MigrationClaims.AnyAsync(c => c.MailboxId == claim.MailboxId && c.ClaimId == claim.ClaimId, ct);

    public async Task ReleaseAsync(Claim claim, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
            await db.MigrationClaims.Where(c => c.MailboxId == claim.MailboxId && c.ClaimId == claim.ClaimId).ExecuteDeleteAsync(ct);
    }
}
