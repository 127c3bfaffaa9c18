namespace MigrationPortal.Data.MigrationClaims;

/// <summary>
/// Which worker holds a mailbox for migration, and until when. Its own row, not columns of the mailbox: a heartbeat
/// every few seconds must not bump the mailbox's version and make an admin's action lose a race to it. A claim is
/// taken by replacing the row with a new <see cref="ClaimId"/>, so a worker whose lease lapsed and was taken over
/// finds its id gone and every write it still tries is refused.
/// </summary>
public sealed class MigrationClaim
{
    private MigrationClaim() { Owner = ""; }

    internal MigrationClaim(int mailboxId, int projectId, int slotNumber, string owner, DateTimeOffset now, DateTimeOffset leaseUntil)
    {
        MailboxId = mailboxId;
        ProjectId = projectId;
        SlotNumber = slotNumber;
        ClaimId = Guid.NewGuid();
        Owner = owner;
        ClaimedAt = now;
        HeartbeatAt = now;
        LeaseUntil = leaseUntil;
    }

    public int MailboxId { get; private set; }
    public int ProjectId { get; private set; }
    public Guid ClaimId { get; private set; }

    /// <summary>
    /// The project's slot this claim sits in (<see cref="ProjectMigrationSlot"/>); one claim per slot, so a project never
    /// has more claims than slots handed out. Moved to a lower free slot when the cap was lowered under it.
    /// </summary>
    public int SlotNumber { get; private set; }

    /// <summary>Which process holds it (host and process id), for the admin and the logs.</summary>
    public string Owner { get; private set; }
    public DateTimeOffset ClaimedAt { get; private set; }
    public DateTimeOffset HeartbeatAt { get; private set; }
    public DateTimeOffset LeaseUntil { get; private set; }

    /// <summary>An admin pressed Stop: the worker reads it with its next heartbeat and ends the pass.</summary>
    public bool StopRequested { get; private set; }

    internal void RequestStop() => StopRequested = true;
}
