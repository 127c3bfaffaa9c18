using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Web.Mailboxes;

namespace MigrationPortal.Web.Worker;

/// <summary>The <c>BulkActions</c> section: when Start is worked through in the background instead of in the request.</summary>
public sealed class BulkActionOptions
{
    public const string Section = "BulkActions";

    /// <summary>
    /// Start on more mailboxes than this is queued on its report and applied by <see cref="BackgroundStartService"/>:
    /// the dashboard answers at once and shows the report filling in, instead of the admin's request taking seconds
    /// per thousand mailboxes (and a proxy's timeout cutting it off).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, int.MaxValue)]
    public int BackgroundAbove { get; set; } = 500;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long claimed items are this process's; a process that died leaves them to be started after.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Wakes the background Start when the dashboard queued a selection.</summary>
public sealed class BackgroundStartSignal : WakeSignal;

/// <summary>
/// Works through the mailboxes a large Start queued on its report, a batch at a time: the batch's items are claimed
/// in one statement with a lease (so two instances never start one mailbox twice, and a crash leaves the items to be
/// started after the lease), Start is applied through <see cref="MailboxActionService"/> exactly as in a
/// request, and each applied item is marked done in the same transaction as its mailbox's change. The emails go out
/// as each batch commits.
/// </summary>
public sealed partial class BackgroundStartService(
    IServiceScopeFactory scopes,
    BackgroundStartSignal signal,
    TimeProvider time,
    IOptions<BulkActionOptions> options,
    ILogger<BackgroundStartService> logger) : PollingWorker(signal, logger)
{
    private readonly BulkActionOptions _options = options.Value;

    protected override TimeSpan PollInterval => _options.PollInterval;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        var now = time.GetUtcNow();
        var due = await Due(db, now).OrderBy(i => i.Id).Select(i => new { i.Id, i.ReportId }).FirstOrDefaultAsync(ct);
        if (due is null) return false;
        var report = await db.ActionReports.AsNoTracking().SingleAsync(r => r.Id == due.ReportId, ct);

        var lease = TruncateToMilliseconds(now + _options.Lease);
        var mailboxIds = await ClaimAsync(db, services.GetRequiredService<DatabaseWriteGate>(), report.Id, now, lease, ct);
        if (mailboxIds.Count == 0) return true; // another instance took them: look again

        var journal = new ClaimedItems(report.Id, lease);
        var result = await services.GetRequiredService<MailboxActionService>()
            .StartAsync(report.ProjectId, mailboxIds, report.Actor, ct, report.Pass, journal);

        // Applied items were marked with their mailboxes; refused ones say why (nothing was changed for them, so doing
        // this after the batch, and again after a crash, is harmless). One the database was too busy for, or that kept
        // conflicting, stays claimed and is tried again when the lease lapses.
        foreach (var outcome in result.Items.Where(o => o.Kind is MailboxOutcomeKind.Refused or MailboxOutcomeKind.Gone))
            await db.ActionReportItems
                .Where(i => i.ReportId == report.Id && i.MailboxId == outcome.MailboxId && i.State == ActionItemState.Running && i.ClaimedUntil == lease)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.State, ActionItemState.Refused)
                    .SetProperty(i => i.Reason, ActionReportItem.Truncate(outcome.Reason))
                    .SetProperty(i => i.ClaimedUntil, (DateTimeOffset?)null)
                    .SetProperty(i => i.FinishedAt, time.GetUtcNow()), CancellationToken.None);
        LogBatch(logger, report.Id, mailboxIds.Count, result.Items.Count(o => o.Applied));
        return true;
    }

    /// <summary>
    /// Claims the report's next <see cref="MailboxUnitOfWork.BatchSize"/> due items in one statement.
    /// </summary>
    /// <returns>The mailboxes of the items this process now holds (none: another instance took them).</returns>
    private static async Task<List<int>> ClaimAsync(PortalDbContext db, DatabaseWriteGate gate, Guid reportId,
        DateTimeOffset now, DateTimeOffset lease, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            if (db.Database.IsNpgsql())
            {
                // SKIP LOCKED passes over rows another instance is claiming at this moment; a row it claimed and committed
                // since this statement began is read again once unlocked (READ COMMITTED), is no longer due, and is left out.
                string pending = nameof(ActionItemState.Pending), running = nameof(ActionItemState.Running);
                var rows = await db.Database.SqlQuery<ClaimedRow>($"""
                    UPDATE "ActionReportItems" SET "State" = {running}, "ClaimedUntil" = {lease}
                    WHERE "Id" IN (
                        SELECT "Id" FROM "ActionReportItems"
                        WHERE "ReportId" = {reportId} AND ("State" = {pending} OR ("State" = {running} AND "ClaimedUntil" < {now}))
                        ORDER BY "Position"
                        LIMIT {MailboxUnitOfWork.BatchSize}
                        FOR UPDATE SKIP LOCKED)
                    RETURNING "MailboxId", "Position"
                    """).ToListAsync(ct);
                // In the selection's order, as in a request: with too few licenses, the first ones get them.
                return rows.OrderBy(r => r.Position).Select(r => r.MailboxId).ToList();
            }

            // One process owns a SQLite file, and its write transaction keeps every other write out meanwhile: what is
            // read as due is what gets the lease.
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var due = await Due(db, now).Where(i => i.ReportId == reportId).OrderBy(i => i.Position)
                .Take(MailboxUnitOfWork.BatchSize).Select(i => new { i.Id, i.MailboxId }).ToListAsync(ct);
            var ids = due.Select(i => i.Id).ToArray();
            await db.ActionReportItems.Where(i => EF.Parameter(ids).Contains(i.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, ActionItemState.Running).SetProperty(i => i.ClaimedUntil, lease), ct);
            await transaction.CommitAsync(ct);
            return due.Select(i => i.MailboxId).ToList();
        }
    }

    private sealed class ClaimedRow
    {
        public int MailboxId { get; init; }
        public int Position { get; init; }
    }

    /// <summary>Start's items waiting for a worker, or claimed by one whose lease has lapsed.</summary>
    private static IQueryable<ActionReportItem> Due(PortalDbContext db, DateTimeOffset now) =>
        db.ActionReportItems.DueFor(db.ActionReports, MailboxActionService.Start, now);

    /// <summary>The batch's report items, held under this round's lease; each is marked applied with its mailbox.</summary>
    private sealed class ClaimedItems(Guid reportId, DateTimeOffset lease) : IActionJournal
    {
        private Dictionary<int, ActionReportItem> _items = [];

        public async Task LoadAsync(PortalDbContext db, IReadOnlyCollection<int> mailboxIds, CancellationToken ct)
        {
            var ids = mailboxIds.ToArray();
            _items = await db.ActionReportItems
                .Where(i => i.ReportId == reportId && EF.Parameter(ids).Contains(i.MailboxId) && i.State == ActionItemState.Running && i.ClaimedUntil == lease)
                .ToDictionaryAsync(i => i.MailboxId, ct);
        }

        public void Applied(int mailboxId, DateTimeOffset now)
        {
            // Not held any more (the lease lapsed and another worker took it): this worker must not apply it.
            if (!_items.TryGetValue(mailboxId, out var item))
                throw new MailboxTransitionException("Another worker took over this item; it is started there.");
            item.Finish(applied: true, null, now);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Background Start of report {ReportId}: {Claimed} mailboxes claimed, {Applied} started")]
    private static partial void LogBatch(ILogger logger, Guid reportId, int claimed, int applied);
}
