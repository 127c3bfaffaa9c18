namespace MigrationPortal.Data.ActionReports;

public static class ActionReportItemQueries
{
    /// <summary>
    /// The items of <paramref name="action"/>'s reports that a background worker may take: waiting, or claimed by a
    /// worker whose lease lapsed before <paramref name="now"/> (it died, or its instance did).
    /// </summary>
    public static IQueryable<ActionReportItem> DueFor(this IQueryable<ActionReportItem> items, IQueryable<ActionReport> reports,
        string action, DateTimeOffset now) =>
        items.Where(i => (i.State == ActionItemState.Pending || (i.State == ActionItemState.Running && i.ClaimedUntil < now))
                         && reports.Any(r => r.Id == i.ReportId && r.Action == action));
}
