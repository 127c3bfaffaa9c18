using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data.Concurrency;

namespace MigrationPortal.Data.Outbox;

/// <summary>
/// The outbox sender's reads and writes. A batch of due messages is claimed at once by giving them a lease that only
/// this claim holds, so two portal instances on one PostgreSQL database never both send one message; a message whose
/// lease ends unrecorded (its sender died) is due again. Outcomes are written per message for failures (only while
/// the claim holds) and per group for sent messages (always: the email left).
/// </summary>
public sealed class OutboxStore(PortalDbContext db, DatabaseWriteGate gate)
{
    private readonly bool _postgres = db.Database.IsNpgsql();

    public static IQueryable<OutboxMessage> Due(IQueryable<OutboxMessage> messages, DateTimeOffset now) =>
        messages.Where(m => m.State == OutboxState.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now));

    /// <summary>
    /// Up to <paramref name="max"/> due messages, longest due first, now leased until <paramref name="lease"/>. Give
    /// each claim its own lease value (whole milliseconds, so it compares equal after the provider rounds it): the
    /// writes below recognise the claim by it.
    /// </summary>
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int max, DateTimeOffset now, DateTimeOffset lease, CancellationToken ct)
    {
        List<OutboxMessage> claimed;
        using (await gate.EnterAsync(ct))
        {
            if (_postgres)
            {
                // One statement. SKIP LOCKED passes over rows another instance is claiming at this moment; a row it
                // claimed and committed since this statement began is read again once unlocked (READ COMMITTED) and is
                // no longer due, so it is left out.
                var pending = nameof(OutboxState.Pending);
                claimed = await db.OutboxMessages.FromSql($"""
                    UPDATE "OutboxMessages" SET "LeaseUntil" = {lease}
                    WHERE "Id" IN (
                        SELECT "Id" FROM "OutboxMessages"
                        WHERE "State" = {pending} AND "NextAttemptAt" <= {now} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                        ORDER BY "NextAttemptAt", "Id"
                        LIMIT {max}
                        FOR UPDATE SKIP LOCKED)
                    RETURNING *
                    """).AsNoTracking().ToListAsync(ct);
            }
            else
            {
                // One process owns a SQLite file, and its write transaction keeps every other write out meanwhile: what
                // is read as due is what gets the lease.
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var ids = await Due(db.OutboxMessages, now)
                    .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id)
                    .Select(m => m.Id)
                    .Take(max)
                    .ToListAsync(ct);
                await db.OutboxMessages.Where(m => ids.Contains(m.Id))
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, (DateTimeOffset?)lease), ct);
                claimed = await db.OutboxMessages.AsNoTracking().Where(m => ids.Contains(m.Id)).ToListAsync(ct);
                await transaction.CommitAsync(ct);
            }
        }

        return claimed.OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).ToList();
    }

    /// <summary>Those of <paramref name="ids"/> this claim no longer holds: cancelled by a Stop, or (after the lease ended) claimed again.</summary>
    public async Task<IReadOnlySet<long>> NotHeldAsync(IReadOnlyCollection<long> ids, DateTimeOffset lease, CancellationToken ct)
    {
        if (ids.Count == 0) return new HashSet<long>();
        var list = ids.ToList();
        var lost = await db.OutboxMessages
            .Where(m => list.Contains(m.Id) && !(m.State == OutboxState.Pending && m.LeaseUntil == lease))
            .Select(m => m.Id)
            .ToListAsync(ct);
        return lost.ToHashSet();
    }

    /// <summary>
    /// Writes what the messages' own methods decided, in one SaveChanges, whatever happened to the rows meanwhile:
    /// for a sent message that is the truth even when a Stop cancelled it after it was claimed.
    /// </summary>
    public async Task RecordAsync(IReadOnlyCollection<OutboxMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0) return;
        using (await gate.EnterAsync(ct))
        {
            try
            {
                foreach (var message in messages)
                {
                    // Only the outcome: the mailbox may have been deleted meanwhile (MailboxId set to null).
                    var entry = db.OutboxMessages.Attach(message);
                    entry.Property(m => m.State).IsModified = true;
                    entry.Property(m => m.Attempts).IsModified = true;
                    entry.Property(m => m.NextAttemptAt).IsModified = true;
                    entry.Property(m => m.SentAt).IsModified = true;
                    entry.Property(m => m.LastError).IsModified = true;
                    entry.Property(m => m.LeaseUntil).IsModified = true;
                    entry.Property(m => m.ProtectedContent).IsModified = true;
                }

                await db.SaveChangesAsync(ct);
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// Writes what the message's own methods decided only while this claim still holds: a Stop that cancelled the
    /// message meanwhile keeps its word, and a claim that outlived its lease does not overwrite another instance's work.
    /// </summary>
    /// <returns>False when the claim no longer held and nothing was written.</returns>
    public async Task<bool> RecordIfHeldAsync(OutboxMessage message, DateTimeOffset lease, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            return await db.OutboxMessages
                .Where(m => m.Id == message.Id && m.State == OutboxState.Pending && m.LeaseUntil == lease)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.State, message.State)
                    .SetProperty(m => m.Attempts, message.Attempts)
                    .SetProperty(m => m.NextAttemptAt, message.NextAttemptAt)
                    .SetProperty(m => m.SentAt, message.SentAt)
                    .SetProperty(m => m.LastError, message.LastError)
                    .SetProperty(m => m.LeaseUntil, message.LeaseUntil)
                    .SetProperty(m => m.ProtectedContent, message.ProtectedContent), ct) == 1;
        }
    }

    /// <summary>Gives back claimed messages that were not tried, so they are due again now rather than when the lease ends.</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<long> ids, DateTimeOffset lease, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        var list = ids.ToList();
        using (await gate.EnterAsync(ct))
        {
            await db.OutboxMessages
                .Where(m => list.Contains(m.Id) && m.State == OutboxState.Pending && m.LeaseUntil == lease)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), ct);
        }
    }
}
