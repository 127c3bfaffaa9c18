namespace MigrationPortal.Data.ActionReports;

public enum ActionItemState
{
    Applied = 0,
    Refused = 1,

    /// <summary>Waiting for the background worker (Verify Credentials).</summary>
    Pending = 2,

    /// <summary>A worker claimed it until <see cref="ActionReportItem.ClaimedUntil"/>; back to pending if that lapses.</summary>
    Running = 3,
}

/// <summary>
/// What one toolbar action did to each mailbox of its selection. Kept in the database, not in the admin's cookies:
/// a selection of thousands of refusals is a large report, and the dashboard shows a summary of it.
/// </summary>
public sealed class ActionReport
{
    private ActionReport() { Action = ""; Actor = ""; }

    public ActionReport(int projectId, string action, string actor, DateTimeOffset now)
    {
        Id = Guid.NewGuid();
        ProjectId = projectId;
        Action = action;
        Actor = actor;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public int ProjectId { get; private set; }
    public string Action { get; private set; }
    public string Actor { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public List<ActionReportItem> Items { get; } = [];
}

public sealed class ActionReportItem
{
    public const int MaxReasonLength = 1000;

    private ActionReportItem() { Label = ""; }

    public ActionReportItem(int position, int mailboxId, string label, ActionItemState state, string? reason)
    {
        Position = position;
        MailboxId = mailboxId;
        Label = label;
        State = state;
        Reason = Truncate(reason);
    }

    public long Id { get; private set; }
    public Guid ReportId { get; private set; }

    /// <summary>Order in the selection, so the report reads in the dashboard's order.</summary>
    public int Position { get; private set; }

    /// <summary>Not a foreign key: the report outlives a mailbox deleted later (or by this very action).</summary>
    public int MailboxId { get; private set; }
    public string Label { get; private set; }
    public ActionItemState State { get; private set; }
    public string? Reason { get; private set; }
    public DateTimeOffset? ClaimedUntil { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }

    public void Finish(bool applied, string? reason, DateTimeOffset now)
    {
        State = applied ? ActionItemState.Applied : ActionItemState.Refused;
        Reason = Truncate(reason);
        ClaimedUntil = null;
        FinishedAt = now;
    }

    private static string? Truncate(string? reason) =>
        reason is { Length: > MaxReasonLength } ? reason[..(MaxReasonLength - 1)] + "…" : reason;
}
