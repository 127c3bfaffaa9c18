using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Licenses;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Data.Mailboxes;

public enum MailboxOutcomeKind
{
    Applied,

    /// <summary>The mailbox's rules refused the action (its status, no license left, bad input).</summary>
    Refused,

    /// <summary>The mailbox does not exist (any more) in the project.</summary>
    Gone,

    /// <summary>The database stayed locked past the busy timeout; nothing was changed.</summary>
    Busy,

    /// <summary>Others kept changing the mailbox on every try; nothing was changed.</summary>
    Conflict,

    /// <summary>
    /// The mailbox is no longer the version the caller's form was loaded with (another admin or the migration changed
    /// it); nothing was changed, because redoing the caller's edit on it would silently undo the other change.
    /// </summary>
    Changed,

    /// <summary>Saving failed for a reason that is not the mailbox's; logged, nothing was changed.</summary>
    Failed,
}

/// <summary>What one action did to one mailbox; every failure of the unit of work ends as one of these.</summary>
public sealed record MailboxOutcome(int MailboxId, string Label, MailboxOutcomeKind Kind, string? Reason = null)
{
    public bool Applied => Kind == MailboxOutcomeKind.Applied;

    public const string NotFoundText = "It no longer exists in this project.";
    public const string DeletedMeanwhileText = "It was deleted meanwhile.";
    public const string BusyText = "The database was busy (locked by another writer): nothing was changed. Try again in a moment.";
    public const string ConflictText = "It kept changing while this action ran; nothing was changed. Refresh the page and try again.";
    public const string ChangedText = "This mailbox changed since you opened it (another admin or the migration changed it). Reload to see it, then make your change again.";
    public const string ClaimLostText = "This worker no longer holds the mailbox (its lease lapsed and another took it over); nothing was written.";
    public const string FailedText = "It could not be saved; nothing was changed. The portal's log has the details.";
}

/// <summary>What an action sees and may change: the mailbox with its lifecycle state, the license pool, the time.</summary>
public sealed class MailboxWork(PortalDbContext db, Mailbox mailbox, LicensePool licenses, DateTimeOffset now)
{
    /// <summary>For rows the action adds with the change (an outbox message); saved in the same transaction.</summary>
    public PortalDbContext Db { get; } = db;
    public Mailbox Mailbox { get; } = mailbox;
    public LicensePool Licenses { get; } = licenses;
    public DateTimeOffset Now { get; } = now;
}

/// <summary>
/// The one way a mailbox is changed, by the dashboard, the Edit page, the secure form and the worker alike: load the
/// mailbox with what its transitions need, apply one lifecycle method, save it with its license movements in one
/// transaction, and on a concurrency conflict load and apply again (a bounded number of times). Every failure
/// becomes a <see cref="MailboxOutcome"/>, so a caller acting on many mailboxes goes on with the next one.
/// </summary>
public sealed partial class MailboxUnitOfWork(PortalDbContext db, DatabaseWriteGate gate, TimeProvider time, ILogger<MailboxUnitOfWork> logger)
{
    public const int MaxAttempts = 3;

    /// <summary>Mailboxes loaded, changed and saved together by <see cref="RunManyAsync"/>.</summary>
    public const int BatchSize = 250;

    /// <param name="projectId">When given, a mailbox of another project counts as not found.</param>
    /// <param name="apply">Calls the lifecycle method; may run again after a conflict, on a freshly loaded mailbox.</param>
    /// <param name="claim">For a worker: the change is saved only while this claim still holds the mailbox.</param>
    /// <param name="prepare">Loads what <paramref name="apply"/> reads besides the mailbox, for the mailboxes given (see <see cref="RunManyAsync"/>).</param>
    /// <param name="expectedVersion">
    /// For an edit made on a form: the mailbox's version when the form was loaded. A mailbox at another version (now,
    /// or after a conflict) is <see cref="MailboxOutcomeKind.Changed"/> and left as it is, instead of the edit being
    /// applied again over a change its author never saw.
    /// </param>
    public async Task<MailboxOutcome> RunAsync(int mailboxId, int? projectId, Func<MailboxWork, CancellationToken, Task> apply, CancellationToken ct,
        Claim? claim = null, Func<IReadOnlyCollection<int>, CancellationToken, Task>? prepare = null, int? expectedVersion = null)
    {
        string? label = null;
        try
        {
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                db.ChangeTracker.Clear();
                var mailbox = await db.Mailboxes.WithLifecycleState()
                    .SingleOrDefaultAsync(m => m.Id == mailboxId && (projectId == null || m.ProjectId == projectId), ct);
                if (mailbox is null)
                    return new MailboxOutcome(mailboxId, label ?? $"#{mailboxId}", MailboxOutcomeKind.Gone,
                        label is null ? MailboxOutcome.NotFoundText : MailboxOutcome.DeletedMeanwhileText);
                label = mailbox.Label;
                if (expectedVersion is { } expected && mailbox.Version != expected)
                    return new MailboxOutcome(mailboxId, label, MailboxOutcomeKind.Changed, MailboxOutcome.ChangedText);

                var pool = await LicensePoolStore.LoadAsync(db, ct);
                if (prepare is not null) await prepare([mailboxId], ct);
                var wasSubmitted = mailbox.Status == MailboxStatus.Submitted;
                var wasStopping = mailbox.Status == MailboxStatus.Stopping;
                try
                {
                    await apply(new MailboxWork(db, mailbox, pool, time.GetUtcNow()), ct);
                    using (await gate.EnterAsync(ct))
                    {
                        await using var transaction = await db.Database.BeginTransactionAsync(ct);
                        await FenceAsync(mailbox, ct);
                        if (claim is not null && !await MigrationClaimStore.Held(db, claim).AnyAsync(ct))
                            throw new MailboxTransitionException(MailboxOutcome.ClaimLostText);
                        await LicensePoolStore.ApplyAsync(db, pool, ct);
                        await db.SaveChangesAsync(ct);
                        // Submitted now: the workers of every instance hear of it when this commits, not at their next poll.
                        if (!wasSubmitted && mailbox.Status == MailboxStatus.Submitted)
                            await MigrationWakeUps.NotifyAsync(db, ct);
                        // Stopping now: the instance whose worker copies it hears of it when this commits, not at its next heartbeat.
                        if (!wasStopping && mailbox.Status == MailboxStatus.Stopping)
                            await MigrationWakeUps.NotifyStopAsync(db, ct);
                        await transaction.CommitAsync(ct);
                    }
                    return new MailboxOutcome(mailboxId, label, MailboxOutcomeKind.Applied);
                }
                catch (Exception e) when (e is MailboxTransitionException or DomainValidationException)
                {
                    return new MailboxOutcome(mailboxId, label, MailboxOutcomeKind.Refused, e.Message);
                }
                catch (DbUpdateConcurrencyException)
                {
                    // Someone else saved this mailbox (or deleted it) since it was loaded: load it again and re-decide.
                }
                catch (DbUpdateException e) when (DatabaseErrors.IsForeignKeyViolation(e))
                {
                    // A row added with the change points at the mailbox, which a Delete removed meanwhile.
                }
            }
            return new MailboxOutcome(mailboxId, label ?? $"#{mailboxId}", MailboxOutcomeKind.Conflict, MailboxOutcome.ConflictText);
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            LogBusy(logger, mailboxId);
            return new MailboxOutcome(mailboxId, label ?? $"#{mailboxId}", MailboxOutcomeKind.Busy, MailboxOutcome.BusyText);
        }
        catch (DbUpdateException e)
        {
            LogFailed(logger, e, mailboxId);
            return new MailboxOutcome(mailboxId, label ?? $"#{mailboxId}", MailboxOutcomeKind.Failed, MailboxOutcome.FailedText);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// The same action on many mailboxes of one project, <see cref="BatchSize"/> at a time: each batch is loaded in one
    /// query, changed in memory and saved in one transaction with its license movements, instead of a load, a
    /// transaction and a commit per mailbox (Start on 10,000 mailboxes took 90 s that way; what a batch costs is a few
    /// round trips). <paramref name="prepare"/> loads, per batch, what <paramref name="apply"/> would otherwise query
    /// per mailbox. Outcomes are what <see cref="RunAsync"/> gives, item by item: a refusal is that item's alone, because
    /// lifecycle methods refuse before they change anything; should a refused item have changed something anyway, or
    /// the batch meet a conflict on saving, its items are done again one by one through <see cref="RunAsync"/>.
    /// </summary>
    public async Task<List<MailboxOutcome>> RunManyAsync(IReadOnlyList<(int Id, string Label)> items, int projectId,
        Func<MailboxWork, CancellationToken, Task> apply, CancellationToken ct, Func<IReadOnlyCollection<int>, CancellationToken, Task>? prepare = null)
    {
        var outcomes = new List<MailboxOutcome>(items.Count);
        foreach (var batch in items.Chunk(BatchSize))
        {
            if (outcomes.Count > 0 && outcomes[^1].Kind == MailboxOutcomeKind.Busy)
            {
                // The database stayed locked past the busy timeout for the last batch; waiting as long again for each of
                // the rest would keep the admin for minutes, so they are reported unchanged at once.
                outcomes.AddRange(batch.Select(i => new MailboxOutcome(i.Id, i.Label, MailboxOutcomeKind.Busy, MailboxOutcome.BusyText)));
                continue;
            }
            if (await TryBatchAsync(batch, projectId, apply, prepare, ct) is { } together)
            {
                outcomes.AddRange(together);
                continue;
            }
            foreach (var (id, _) in batch)
                outcomes.Add(await RunAsync(id, projectId, apply, ct, prepare: prepare));
        }
        return outcomes;
    }

    /// <returns>The batch's outcomes, or null when it must be done again one mailbox at a time (nothing of it was saved).</returns>
    private async Task<List<MailboxOutcome>?> TryBatchAsync((int Id, string Label)[] batch, int projectId,
        Func<MailboxWork, CancellationToken, Task> apply, Func<IReadOnlyCollection<int>, CancellationToken, Task>? prepare, CancellationToken ct)
    {
        try
        {
            db.ChangeTracker.Clear();
            var ids = batch.Select(i => i.Id).ToList();
            var mailboxes = await db.Mailboxes.WithLifecycleState()
                .Where(m => m.ProjectId == projectId && EF.Parameter(ids).Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
            var pool = await LicensePoolStore.LoadAsync(db, ct);
            if (prepare is not null) await prepare(mailboxes.Keys, ct);
            var now = time.GetUtcNow();

            // Changes are detected once for the batch, not on every look at the tracker (each of which scans all of it).
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var outcomes = new List<MailboxOutcome>(batch.Length);
            var applied = new List<Mailbox>();
            var submittedBefore = mailboxes.Values.Where(m => m.Status == MailboxStatus.Submitted).Select(m => m.Id).ToHashSet();
            var stoppingBefore = mailboxes.Values.Where(m => m.Status == MailboxStatus.Stopping).Select(m => m.Id).ToHashSet();
            foreach (var (id, label) in batch)
            {
                if (!mailboxes.TryGetValue(id, out var mailbox))
                {
                    outcomes.Add(new MailboxOutcome(id, label, MailboxOutcomeKind.Gone, MailboxOutcome.NotFoundText));
                    continue;
                }
                var tracked = db.ChangeTracker.Entries().Count();
                var available = pool.Available;
                try
                {
                    await apply(new MailboxWork(db, mailbox, pool, now), ct);
                    applied.Add(mailbox);
                    outcomes.Add(new MailboxOutcome(id, mailbox.Label, MailboxOutcomeKind.Applied));
                }
                catch (Exception e) when (e is MailboxTransitionException or DomainValidationException)
                {
                    db.ChangeTracker.DetectChanges();
                    if (db.Entry(mailbox).State != EntityState.Unchanged || db.ChangeTracker.Entries().Count() != tracked || pool.Available != available)
                        return null;
                    outcomes.Add(new MailboxOutcome(id, mailbox.Label, MailboxOutcomeKind.Refused, e.Message));
                }
            }
            if (applied.Count == 0) return outcomes;
            db.ChangeTracker.DetectChanges();
            db.ChangeTracker.AutoDetectChangesEnabled = true;

            using (await gate.EnterAsync(ct))
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await FenceAsync(applied, ct);
                await LicensePoolStore.ApplyAsync(db, pool, ct);
                await db.SaveChangesAsync(ct);
                // As in RunAsync: one notification for the batch wakes every instance's worker when this commits.
                if (applied.Any(m => m.Status == MailboxStatus.Submitted && !submittedBefore.Contains(m.Id)))
                    await MigrationWakeUps.NotifyAsync(db, ct);
                if (applied.Any(m => m.Status == MailboxStatus.Stopping && !stoppingBefore.Contains(m.Id)))
                    await MigrationWakeUps.NotifyStopAsync(db, ct);
                await transaction.CommitAsync(ct);
            }
            return outcomes;
        }
        catch (Exception e) when (e is DbUpdateConcurrencyException or MailboxTransitionException)
        {
            // Someone else changed one of them, or took the licenses the batch was to hold: nothing was saved, and
            // each is decided again on its own.
            return null;
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsForeignKeyViolation(e))
        {
            return null;
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            LogBusy(logger, batch[0].Id);
            return [.. batch.Select(i => new MailboxOutcome(i.Id, i.Label, MailboxOutcomeKind.Busy, MailboxOutcome.BusyText))];
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = true;
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// First statement of the transaction: the mailbox row is still the version that was loaded (and, on PostgreSQL,
    /// locked until commit). Otherwise the change is stale: a Delete or another action got there first, and the rows
    /// this change adds (events, links, ledger lines) would point at a mailbox that is gone or has moved on.
    /// </summary>
    private async Task FenceAsync(Mailbox mailbox, CancellationToken ct)
    {
        var loaded = db.Entry(mailbox).Property(m => m.Version).OriginalValue;
        var current = await db.Mailboxes.Where(m => m.Id == mailbox.Id && m.Version == loaded)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Version, m => m.Version), ct);
        if (current == 0)
            throw new DbUpdateConcurrencyException($"Mailbox {mailbox.Id} changed or was deleted since it was loaded.");
    }

    /// <summary>
    /// <see cref="FenceAsync(Mailbox, CancellationToken)"/> for a batch in two statements: the rows are touched (locked until
    /// commit on PostgreSQL; SQLite has one writer) and their versions compared with those loaded. Before anything is
    /// written, so a mailbox deleted meanwhile is found here, not by a failing insert of a row pointing at it.
    /// </summary>
    private async Task FenceAsync(List<Mailbox> mailboxes, CancellationToken ct)
    {
        var ids = mailboxes.Select(m => m.Id).ToList();
        await db.Mailboxes.Where(m => EF.Parameter(ids).Contains(m.Id)).ExecuteUpdateAsync(s => s.SetProperty(m => m.Version, m => m.Version), ct);
        var current = await db.Mailboxes.AsNoTracking().Where(m => EF.Parameter(ids).Contains(m.Id))
            .Select(m => new { m.Id, m.Version }).ToDictionaryAsync(m => m.Id, m => m.Version, ct);
        foreach (var mailbox in mailboxes)
            if (!current.TryGetValue(mailbox.Id, out var version) || version != db.Entry(mailbox).Property(m => m.Version).OriginalValue)
                throw new DbUpdateConcurrencyException($"Mailbox {mailbox.Id} changed or was deleted since it was loaded.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId} not changed: the database stayed busy past the busy timeout")]
    private static partial void LogBusy(ILogger logger, int mailboxId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mailbox {MailboxId} could not be saved")]
    private static partial void LogFailed(ILogger logger, Exception e, int mailboxId);
}
