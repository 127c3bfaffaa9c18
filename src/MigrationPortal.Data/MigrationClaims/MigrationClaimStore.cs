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
/// the project's <c>MaxConcurrentMigrations</c> at a time, never one mailbox to two workers, on SQLite and on a
/// PostgreSQL database shared by several portal instances.
///
/// The cap is kept by slots, not by counting: a claim sits in one of its project's slots (<see cref="ProjectMigrationSlot"/>,
/// numbered 1..cap), a unique index allows one claim per slot, and a claim is only given a slot at or under the
/// current cap, and only while no claim of the project is left above it. So once a lowered cap's claims above it
/// have ended or moved down into slots freed under it, every claim is in its own slot at or under the cap.
///
/// On PostgreSQL a claim locks what it takes with <c>SKIP LOCKED</c> (the mailbox row, then a free slot row), so
/// instances claiming at the same moment take different mailboxes and slots without waiting for each other; what
/// it read before a lock is read again after it (READ COMMITTED: a fresh statement sees what committed meanwhile).
/// On SQLite the same steps run in one write transaction (BEGIN IMMEDIATE, behind this process's write gate; one
/// portal process per SQLite file): nobody else writes meanwhile, so each lock is the first candidate and each
/// re-check passes. One code path for both: the slot rules (a lowered cap, a lapsed claim's slot) are the same,
/// and every SQLite test exercises them too.
/// </summary>
public sealed class MigrationClaimStore(PortalDbContext db, DatabaseWriteGate gate, TimeProvider time)
{
    /// <summary>Mailboxes a claim reads at once, in queue order, to lock the first that no other claimer holds.</summary>
    private const int CandidatesAtOnce = 16;

    private readonly bool _postgres = db.Database.IsNpgsql();

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
            var now = time.GetUtcNow();
            await AddMissingSlotsAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var passedOver = new HashSet<int>(); // mailboxes another claimer holds, or that were claimed or changed meanwhile
            var full = new HashSet<int>();       // projects with no slot to give now
            while (true)
            {
                var candidates = await CandidatesAsync(now, passedOver, full, ct);
                if (candidates.Count == 0) return null;
                if (await LockFirstMailboxAsync(candidates, ct) is not { } next)
                {
                    passedOver.UnionWith(candidates.Select(c => c.Id));
                    continue;
                }
                passedOver.Add(next.Id);

                var cap = await ReadCapAsync(next.ProjectId, ct);
                await ReapLapsedAsync(next.ProjectId, now, ct);
                // Read again now that the mailbox is locked: another claim or an admin's action may have committed meanwhile.
                if (!await db.Mailboxes.AnyAsync(m => m.Id == next.Id
                        && (m.Status == MailboxStatus.Submitted || m.Status == MailboxStatus.Migrating)
                        && !db.MigrationClaims.Any(c => c.MailboxId == m.Id), ct))
                    continue;
                if (await TakeSlotAsync(next.ProjectId, cap, ct) is not { } slot)
                {
                    full.Add(next.ProjectId);
                    continue;
                }

                var claim = new MigrationClaim(next.Id, next.ProjectId, slot, owner, now, now + lease);
                db.MigrationClaims.Add(claim);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                db.ChangeTracker.Clear();
                return new Claim(claim.MailboxId, claim.ProjectId, claim.ClaimId, claim.LeaseUntil);
            }
        }
    }

    private sealed record Candidate(int Id, int ProjectId);

    /// <summary>The queue's head: claimable mailboxes without a live claim, of projects under their cap (a first filter; the slots decide).</summary>
    private Task<List<Candidate>> CandidatesAsync(DateTimeOffset now, HashSet<int> passedOver, HashSet<int> full, CancellationToken ct)
    {
        var live = Live(db, now);
        var skipMailboxes = passedOver.ToArray();
        var skipProjects = full.ToArray();
        return db.Mailboxes
            .Where(m => m.Status == MailboxStatus.Submitted || m.Status == MailboxStatus.Migrating)
            .Where(m => !skipMailboxes.Contains(m.Id) && !skipProjects.Contains(m.ProjectId))
            .Where(m => !live.Any(c => c.MailboxId == m.Id))
            .Where(m => live.Count(c => c.ProjectId == m.ProjectId)
                < db.Projects.Where(p => p.Id == m.ProjectId).Select(p => p.MaxConcurrentMigrations).First())
            .OrderBy(m => m.StatusChangedAt).ThenBy(m => m.Id)
            .Select(m => new Candidate(m.Id, m.ProjectId))
            .Take(CandidatesAtOnce)
            .ToListAsync(ct);
    }

    /// <summary>
    /// The first candidate no other claimer holds, locked until this claim commits. The lock conflicts with an admin's
    /// change of the mailbox (the unit of work updates its row first), so the two do not interleave either.
    /// </summary>
    private async Task<Candidate?> LockFirstMailboxAsync(List<Candidate> candidates, CancellationToken ct)
    {
        if (!_postgres) return candidates[0];
        var ids = candidates.Select(c => c.Id).ToArray();
        var locked = await db.Database.SqlQuery<int>($"""
            SELECT "Id" AS "Value" FROM "Mailboxes" WHERE "Id" = ANY({ids})
            ORDER BY "StatusChangedAt", "Id" LIMIT 1
            FOR NO KEY UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        return locked.Count == 0 ? null : candidates.Single(c => c.Id == locked[0]);
    }

    /// <summary>
    /// The project's cap as it is now. On PostgreSQL the project row is share-locked until this claim commits: claims
    /// do not block each other, but an admin's edit of the cap waits for the claims under way, and claims after it
    /// see the new cap. So no claim is ever given a slot by a cap that was already lowered.
    /// </summary>
    private async Task<int> ReadCapAsync(int projectId, CancellationToken ct)
    {
        if (!_postgres)
            return await db.Projects.Where(p => p.Id == projectId).Select(p => p.MaxConcurrentMigrations).SingleAsync(ct);
        var cap = await db.Database.SqlQuery<int>($"""
            SELECT "MaxConcurrentMigrations" AS "Value" FROM "Projects" WHERE "Id" = {projectId} FOR SHARE
            """).ToListAsync(ct);
        return cap.Single();
    }

    /// <summary>
    /// Deletes the project's claims whose lease lapsed: their worker is presumed dead, and with its row gone any write
    /// or heartbeat it still sends is refused, so it cannot come back into a slot that is handed out again. After
    /// this every claim row of the project is a live claim (or one another claimer is deleting right now, on
    /// PostgreSQL skipped rather than waited for, and counted as taken).
    /// </summary>
    private async Task ReapLapsedAsync(int projectId, DateTimeOffset now, CancellationToken ct)
    {
        if (!_postgres)
        {
            await db.MigrationClaims.Where(c => c.ProjectId == projectId && c.LeaseUntil <= now).ExecuteDeleteAsync(ct);
            return;
        }
        await db.Database.ExecuteSqlAsync($"""
            DELETE FROM "MigrationClaims" WHERE "MailboxId" IN (
                SELECT "MailboxId" FROM "MigrationClaims" WHERE "ProjectId" = {projectId} AND "LeaseUntil" <= {now}
                FOR UPDATE SKIP LOCKED)
            """, ct);
    }

    /// <summary>
    /// A free slot at or under the cap, locked, or null when there is none to give now. When the cap was lowered under
    /// the claims running, the claims above it are first moved down into slots freed under it; while any is left above
    /// it, nothing new is given (the slots under it are not all there is to count).
    /// </summary>
    private async Task<int?> TakeSlotAsync(int projectId, int cap, CancellationToken ct)
    {
        var taken = await db.MigrationClaims.Where(c => c.ProjectId == projectId).Select(c => c.SlotNumber).ToListAsync(ct);
        var free = Enumerable.Range(1, cap).Except(taken).ToList();
        int? held = null;
        foreach (var above in taken.Where(n => n > cap).OrderDescending())
        {
            held ??= await LockFreeSlotAsync(projectId, free, ct);
            if (held is not { } to) return null;
            // Zero rows: that claim ended, or another claimer moved it, meanwhile; the slot held stays free for this claim.
            var moved = await db.MigrationClaims.Where(c => c.ProjectId == projectId && c.SlotNumber == above)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.SlotNumber, to), ct);
            if (moved > 0) held = null;
        }
        return held ?? await LockFreeSlotAsync(projectId, free, ct);
    }

    /// <summary>Locks the lowest slot of <paramref name="free"/> that no other claimer holds and that is still free once locked.</summary>
    private async Task<int?> LockFreeSlotAsync(int projectId, List<int> free, CancellationToken ct)
    {
        while (free.Count > 0)
        {
            var numbers = free.ToArray();
            var locked = _postgres
                ? await db.Database.SqlQuery<int>($"""
                    SELECT "SlotNumber" AS "Value" FROM "ProjectMigrationSlots"
                    WHERE "ProjectId" = {projectId} AND "SlotNumber" = ANY({numbers})
                    ORDER BY "SlotNumber" LIMIT 1
                    FOR UPDATE SKIP LOCKED
                    """).ToListAsync(ct)
                : await db.ProjectMigrationSlots.Where(s => s.ProjectId == projectId && numbers.Contains(s.SlotNumber))
                    .OrderBy(s => s.SlotNumber).Select(s => s.SlotNumber).Take(1).ToListAsync(ct);
            if (locked.Count == 0) return null; // other claimers hold the free slots right now
            var slot = locked[0];
            free.Remove(slot);
            // Listed as free before the lock: a claimer that held the slot until then may have put its claim there.
            if (!await db.MigrationClaims.AnyAsync(c => c.ProjectId == projectId && c.SlotNumber == slot, ct))
                return slot;
        }
        return null;
    }

    /// <summary>
    /// Adds slot rows 1..cap for projects with mailboxes to claim whose cap has no row yet (a new project, a raised
    /// cap), each in its own short statement before the claim's transaction: a claimer adding the same rows at the
    /// same moment waits only for that statement, and the claim transactions never wait for one another.
    /// </summary>
    private async Task AddMissingSlotsAsync(CancellationToken ct)
    {
        var missing = await db.Projects
            .Where(p => !db.ProjectMigrationSlots.Any(s => s.ProjectId == p.Id && s.SlotNumber == p.MaxConcurrentMigrations))
            .Where(p => db.Mailboxes.Any(m => m.ProjectId == p.Id && (m.Status == MailboxStatus.Submitted || m.Status == MailboxStatus.Migrating)))
            .Select(p => new { p.Id, p.MaxConcurrentMigrations })
            .ToListAsync(ct);
        foreach (var project in missing)
            // Both providers read this statement alike (SQLite needs the WHERE before ON CONFLICT to parse it).
            await db.Database.ExecuteSqlAsync($"""
                WITH RECURSIVE "Numbers"("N") AS (SELECT 1 UNION ALL SELECT "N" + 1 FROM "Numbers" WHERE "N" < {project.MaxConcurrentMigrations})
                INSERT INTO "ProjectMigrationSlots" ("ProjectId", "SlotNumber")
                SELECT {project.Id}, "N" FROM "Numbers" WHERE TRUE
                ON CONFLICT DO NOTHING
                """, ct);
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

    /// <summary>Ends the claim; its slot is free for the next mailbox of the project, on any instance.</summary>
    public async Task ReleaseAsync(Claim claim, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            if (await Held(db, claim).ExecuteDeleteAsync(ct) > 0)
                await MigrationWakeUps.NotifyAsync(db, ct);
        }
    }
}
