using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Concurrency;

namespace MigrationPortal.Data.MigrationClaims;

public enum ClaimStanding
{
    /// <summary>Taken over after the lease lapsed, or released: stop working and write nothing more.</summary>
    Lost,
    Held,

    /// <summary>Still held, and an admin pressed Stop: end the pass at the next message boundary.</summary>
    StopRequested,
}

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
    /// <summary>The advisory lock every claim transaction holds on PostgreSQL (an arbitrary key of ours: "MPclaim" in ASCII).</summary>
    private const string ClaimLockSql = "SELECT pg_advisory_xact_lock(21761961157028205)";

    /// <summary>Claims whose lease has not lapsed: a worker may still be writing for these mailboxes.</summary>
    public static IQueryable<MigrationClaim> Live(PortalDbContext db, DateTimeOffset now) =>
        db.MigrationClaims.Where(c => c.LeaseUntil > now);

    /// <summary>The claim's row while it is still this claim (not replaced by another worker's, not released).</summary>
    public static IQueryable<MigrationClaim> Held(PortalDbContext db, Claim claim) =>
        db.MigrationClaims.Where(c => c.MailboxId == claim.MailboxId && c.ClaimId == claim.ClaimId);

    public async Task<Claim?> TryClaimNextAsync(string owner, TimeSpan lease, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // On PostgreSQL, every instance's claims take one transaction-scoped advisory lock, the counterpart of
            // SQLite's single writer: counting the project's live claims and taking one cannot interleave with another
            // instance's claim (READ COMMITTED alone let two take the same mailbox). Claims are rare (one per pass), so
            // one lock costs nothing measurable; SKIP LOCKED with per-project slot rows is the scale-out issue's.
            if (db.Database.IsNpgsql())
                await db.Database.ExecuteSqlRawAsync(ClaimLockSql, ct);
            var now = time.GetUtcNow();
            var live = Live(db, now);
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

    /// <summary>The heartbeat: extends the lease and tells the worker whether it still holds the mailbox and should go on.</summary>
    public async Task<ClaimStanding> RenewAsync(Claim claim, TimeSpan lease, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        using (await gate.EnterAsync(ct))
        {
            var renewed = await Held(db, claim)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseUntil, now + lease).SetProperty(c => c.HeartbeatAt, now), ct);
            if (renewed == 0) return ClaimStanding.Lost;
        }
        var stop = await Held(db, claim)
            .Select(c => (bool?)c.StopRequested).SingleOrDefaultAsync(ct);
        return stop switch { null => ClaimStanding.Lost, true => ClaimStanding.StopRequested, false => ClaimStanding.Held };
    }

    /// <summary>
    /// For Stop on a Migrating mailbox, inside the admin's unit of work: when a worker holds it, the request is flagged
    /// on its claim (saved with the mailbox's move to Stopping) and true is returned; false when no live claim is left.
    /// </summary>
    public static async Task<bool> RequestStopAsync(PortalDbContext db, int mailboxId, DateTimeOffset now, CancellationToken ct)
    {
        var claim = await Live(db, now).SingleOrDefaultAsync(c => c.MailboxId == mailboxId, ct);
        claim?.RequestStop();
        return claim is not null;
    }

    /// <summary>For a write made on the claim's behalf, inside the caller's transaction: does the claim still stand?</summary>
    public Task<bool> HoldsAsync(Claim claim, CancellationToken ct) =>
        Held(db, claim).AnyAsync(ct);

    public async Task ReleaseAsync(Claim claim, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
            await Held(db, claim).ExecuteDeleteAsync(ct);
    }
}
