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

    /// <param name="projectId">When given, a mailbox of another project counts as not found.</param>
    /// <param name="apply">Calls the lifecycle method; may run again after a conflict, on a freshly loaded mailbox.</param>
    /// <param name="claim">For a worker: the change is saved only while this claim still holds the mailbox.</param>
    public async Task<MailboxOutcome> RunAsync(int mailboxId, int? projectId, Func<MailboxWork, CancellationToken, Task> apply, CancellationToken ct,
        Claim? claim = null)
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

                var pool = await LicensePoolStore.LoadAsync(db, ct);
                var wasSubmitted = mailbox.Status == MailboxStatus.Submitted;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId} not changed: the database stayed busy past the busy timeout")]
    private static partial void LogBusy(ILogger logger, int mailboxId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mailbox {MailboxId} could not be saved")]
    private static partial void LogFailed(ILogger logger, Exception e, int mailboxId);
}
