using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Data.Checkpoints;

/// <summary>What a pass's progress write may touch: the context, the pass it belongs to, and the time.</summary>
public sealed record PassProgressWork(PortalDbContext Db, int MailboxId, int PassNumber, DateTimeOffset Now);

/// <summary>
/// Writes a running pass's progress (checkpoints, counts, folder statistics, refused messages): rows of their own,
/// never the mailbox, so its version stays and an admin's Stop is never turned away by a busy pass. Each write is one
/// transaction fenced by the worker's claim alone: a worker that lost its claim writes nothing. Unlike a change of
/// the mailbox (<see cref="Mailboxes.MailboxUnitOfWork"/>), it loads neither the mailbox with its history nor the
/// license pool, which a pass saving a batch every few dozen milliseconds would otherwise do each time.
/// </summary>
public sealed class PassProgressWriter(PortalDbContext db, DatabaseWriteGate gate, TimeProvider time)
{
    /// <returns>False when the claim no longer holds the mailbox (or its pass is no longer running): nothing was written.</returns>
    /// <exception cref="DatabaseBusyException">Another writer held the database past the busy timeout.</exception>
    public async Task<bool> WriteAsync(Claim claim, Func<PassProgressWork, CancellationToken, Task> write, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        try
        {
            using (await gate.EnterAsync(ct))
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                if (!await MigrationClaimStore.Held(db, claim).AnyAsync(ct)) return false;
                var pass = await db.MigrationPasses.AsNoTracking()
                    .Where(p => p.MailboxId == claim.MailboxId && p.Outcome == PassOutcome.Running)
                    .Select(p => (int?)p.Number).SingleOrDefaultAsync(ct);
                if (pass is null) return false;
                await write(new PassProgressWork(db, claim.MailboxId, pass.Value, time.GetUtcNow()), ct);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                return true;
            }
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>A provider throttled the running pass: it waits until <paramref name="until"/>, as the provider asked.</summary>
    public static Task RecordThrottlingAsync(PassProgressWork work, DateTimeOffset until, string serverWords, CancellationToken ct)
    {
        var words = serverWords.Length > MigrationPass.MaxThrottlingLength ? serverWords[..MigrationPass.MaxThrottlingLength] : serverWords;
        return work.Db.MigrationPasses.Where(p => p.MailboxId == work.MailboxId && p.Number == work.PassNumber)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.ThrottledWaits, p => p.ThrottledWaits + 1)
                .SetProperty(p => p.ThrottledUntil, until)
                .SetProperty(p => p.Throttling, words), ct);
    }

    /// <summary>Adds a batch's copies to the running pass's counts, in the database (no load, no lost update).</summary>
    public static Task AddToPassAsync(PassProgressWork work, int messages, long bytes, CancellationToken ct) =>
        messages == 0 && bytes == 0
            ? Task.CompletedTask
            : work.Db.MigrationPasses.Where(p => p.MailboxId == work.MailboxId && p.Number == work.PassNumber)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.ItemsCopied, p => p.ItemsCopied + messages)
                    .SetProperty(p => p.BytesCopied, p => p.BytesCopied + bytes), ct);
}
