using MigrationPortal.Core.Mailboxes;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Mailboxes;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>One line of a report summary: how many items ended with this reason, and the first few of them.</summary>
public sealed record ReportGroup(ActionItemState State, string? Reason, int Count, IReadOnlyList<string> FirstLabels);

/// <summary>What the dashboard shows of a report: counts per reason and a few names, never the whole list.</summary>
public sealed record ReportSummary(Guid Id, string Action, DateTimeOffset CreatedAt, int Total, int Applied, int Refused, int Waiting,
    IReadOnlyList<ReportGroup> Groups)
{
    public bool Running => Waiting > 0;
}

/// <summary>
/// Keeps toolbar reports on the server. The dashboard is redirected to with the report's id and shows its summary;
/// the full per-item list is its own page and a CSV download. (It used to travel in TempData cookies: 150 refusals
/// made 38 KB of cookies and every later request, the login page's too, was refused with 431.)
/// </summary>
public sealed class ActionReportStore(PortalDbContext db, DatabaseWriteGate gate, TimeProvider time)
{
    public const int NamesPerGroup = 5;
    public const int MaxGroups = 10;

    /// <summary>Reports are for the admin who just acted; older ones are dropped when the project gets a new one.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public async Task<Guid> SaveAsync(int projectId, BulkActionReport report, string actor, CancellationToken ct,
        IEnumerable<(int Id, string Label)>? waiting = null, PassRequest? pass = null)
    {
        var saved = new ActionReport(projectId, report.Action, actor, time.GetUtcNow(), pass);
        var position = 0;
        foreach (var item in report.Items)
            saved.Items.Add(new ActionReportItem(position++, item.MailboxId, item.Label,
                item.Applied ? ActionItemState.Applied : ActionItemState.Refused, item.Reason));
        foreach (var (id, label) in waiting ?? [])
            saved.Items.Add(new ActionReportItem(position++, id, label, ActionItemState.Pending, null));
        db.ChangeTracker.Clear();
        db.ActionReports.Add(saved);
        try
        {
            using (await gate.EnterAsync(ct))
            {
                var cutoff = saved.CreatedAt - Retention;
                await db.ActionReports.Where(r => r.ProjectId == projectId && r.CreatedAt < cutoff).ExecuteDeleteAsync(ct);
                await db.SaveChangesAsync(ct);
            }
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
        return saved.Id;
    }

    public async Task<ReportSummary?> SummaryAsync(int projectId, Guid id, CancellationToken ct)
    {
        var report = await db.ActionReports.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.ProjectId == projectId, ct);
        if (report is null) return null;
        var counts = await db.ActionReportItems.AsNoTracking().Where(i => i.ReportId == id)
            .GroupBy(i => new { i.State, i.Reason })
            .Select(g => new { g.Key.State, g.Key.Reason, Count = g.Count() })
            .ToListAsync(ct);

        var groups = new List<ReportGroup>();
        foreach (var g in counts.Where(c => c.State != ActionItemState.Applied).OrderByDescending(c => c.Count).Take(MaxGroups))
        {
            var names = await db.ActionReportItems.AsNoTracking()
                .Where(i => i.ReportId == id && i.State == g.State && i.Reason == g.Reason)
                .OrderBy(i => i.Position).Select(i => i.Label).Take(NamesPerGroup).ToListAsync(ct);
            groups.Add(new ReportGroup(g.State, g.Reason, g.Count, names));
        }
        int Sum(params ActionItemState[] states) => counts.Where(c => states.Contains(c.State)).Sum(c => c.Count);
        return new ReportSummary(report.Id, report.Action, report.CreatedAt, counts.Sum(c => c.Count),
            Sum(ActionItemState.Applied), Sum(ActionItemState.Refused), Sum(ActionItemState.Pending, ActionItemState.Running), groups);
    }

    /// <summary>A report that could not be saved (the database is busy) is summarised from memory instead.</summary>
    public static ReportSummary Summarise(BulkActionReport report, DateTimeOffset now)
    {
        var groups = report.Items.Where(i => !i.Applied)
            .GroupBy(i => i.Reason)
            .OrderByDescending(g => g.Count())
            .Take(MaxGroups)
            .Select(g => new ReportGroup(ActionItemState.Refused, g.Key, g.Count(), g.Take(NamesPerGroup).Select(i => i.Label).ToList()))
            .ToList();
        return new ReportSummary(Guid.Empty, report.Action, now, report.Items.Count, report.Applied, report.Items.Count - report.Applied, 0, groups);
    }

    public Task<ActionReport?> FindAsync(Guid id, CancellationToken ct) =>
        db.ActionReports.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);

    public IAsyncEnumerable<ActionReportItem> ItemsAsync(Guid id, int skip, int take) =>
        db.ActionReportItems.AsNoTracking().Where(i => i.ReportId == id).OrderBy(i => i.Position).Skip(skip).Take(take).AsAsyncEnumerable();

    public Task<int> CountAsync(Guid id, CancellationToken ct) => db.ActionReportItems.CountAsync(i => i.ReportId == id, ct);
}
