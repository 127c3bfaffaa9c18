namespace MigrationPortal.Data.MigrationClaims;

/// <summary>
/// One of a project's <c>MaxConcurrentMigrations</c> places for a running migration. The row holds no state: it is
/// what a claim locks (on PostgreSQL, <c>FOR UPDATE SKIP LOCKED</c>) while it checks that no claim sits in it and
/// puts its own there (<see cref="MigrationClaim.SlotNumber"/>). The slot is free again when that claim's row goes:
/// released, taken over after its lease lapsed, or deleted with its mailbox. Rows 1..cap are added when a claim
/// first needs them (a new project, a raised cap); rows above a lowered cap stay and are not handed out.
/// </summary>
public sealed class ProjectMigrationSlot
{
    private ProjectMigrationSlot() { }

    public int ProjectId { get; private set; }
    public int SlotNumber { get; private set; }
}
