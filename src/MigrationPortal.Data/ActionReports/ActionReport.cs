using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Data.ActionReports;

public enum ActionItemState
{
    Applied = 0,
    Refused = 1,

    /// <summary>Waiting for a background worker (Verify Credentials, and Start on a large selection).</summary>
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

    /// <param name="pass">For a Start whose items wait for the background worker: the pass the admin chose (null: the default).</param>
    public ActionReport(int projectId, string action, string actor, DateTimeOffset now, PassRequest? pass = null)
    {
        Id = Guid.NewGuid();
        ProjectId = projectId;
        Action = action;
        Actor = actor;
        CreatedAt = now;
        PassKind = pass?.Kind;
        PreStageBefore = pass?.PreStageBefore;
    }

    public Guid Id { get; private set; }
    public int ProjectId { get; private set; }
    public string Action { get; private set; }
    public string Actor { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>The pass a background Start runs (with <see cref="PreStageBefore"/>); null: Delta where one completed, Full elsewhere.</summary>
    public PassKind? PassKind { get; private set; }
    public DateTimeOffset? PreStageBefore { get; private set; }

    public PassRequest? Pass => PassKind is { } kind ? PassRequest.Create(kind, PreStageBefore) : null;

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

    public static string? Truncate(string? reason) =>
        reason is { Length: > MaxReasonLength } ? reason[..(MaxReasonLength - 1)] + "…" : reason;
}
