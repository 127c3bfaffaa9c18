namespace MigrationPortal.Core.Licenses;

/// <summary>
/// The account's licenses not yet given to a mailbox. A license taken for a mailbox is either held
/// (its pass has moved no data yet, so it can come back) or consumed (gone for good).
/// Every change is written to the ledger as a <see cref="LicenseMovement"/>.
///
/// The pool is not versioned: <see cref="Available"/> is what was read, used to refuse early, and the change
/// (<see cref="PendingChange"/>) is applied by the database as one conditional update
/// (<c>Available = Available + change WHERE Available + change &gt;= 0</c>). So actions on different mailboxes never
/// conflict over this one row, and two starts racing for the last license cannot both win.
/// </summary>
public sealed class LicensePool
{
    public const int SingletonId = 1;
    public const int MaxAddAtOnce = 100_000;

    private readonly List<LicenseMovement> _movements = [];

    public LicensePool() { Id = SingletonId; }

    public int Id { get; private set; }
    public int Available { get; private set; }

    /// <summary>The net change of <see cref="Available"/> since it was read, for the database to apply.</summary>
    public int PendingChange { get; private set; }

    /// <summary>Movements recorded through this instance, saved with it; the full ledger is queried, not loaded.</summary>
    public IReadOnlyCollection<LicenseMovement> Movements => _movements;

    public const int MaxNoteLength = 200;

    public LicenseMovement Add(int quantity, string actor, DateTimeOffset now, string? note)
    {
        if (quantity is < 1 or > MaxAddAtOnce)
            throw new DomainValidationException($"Add between 1 and {MaxAddAtOnce:N0} licenses at a time.");
        return Record(LicenseMovementKind.Added, quantity, +quantity, null, null, actor, now,
            string.IsNullOrWhiteSpace(note) ? "Licenses added" : Validation.Required(note, "note", MaxNoteLength));
    }

    internal LicenseMovement Hold(int mailboxId, string mailboxLabel, string actor, DateTimeOffset now, string reason)
    {
        if (Available < 1)
            throw new Mailboxes.MailboxTransitionException(NoneAvailableMessage);
        return Record(LicenseMovementKind.Held, 1, -1, mailboxId, mailboxLabel, actor, now, reason);
    }

    public const string NoneAvailableMessage = "No license is available. Add licenses on the Licenses page, then start the mailbox again.";

    internal LicenseMovement Return(int mailboxId, string mailboxLabel, string actor, DateTimeOffset now, string reason) =>
        Record(LicenseMovementKind.Returned, 1, +1, mailboxId, mailboxLabel, actor, now, reason);

    internal LicenseMovement Consume(int mailboxId, string mailboxLabel, string actor, DateTimeOffset now, string reason) =>
        Record(LicenseMovementKind.Consumed, 1, 0, mailboxId, mailboxLabel, actor, now, reason);

    /// <summary>
    /// The database applied <see cref="PendingChange"/> and answered with the new count: the movements' running
    /// "available after" figures are set from it, since other mailboxes may have moved licenses meanwhile.
    /// </summary>
    public void Settled(int availableNow)
    {
        var running = availableNow - PendingChange;
        foreach (var movement in _movements)
        {
            running += movement.Change;
            movement.SetAvailableAfter(running);
        }
        Available = availableNow;
        PendingChange = 0;
    }

    private LicenseMovement Record(LicenseMovementKind kind, int quantity, int change, int? mailboxId, string? label, string actor, DateTimeOffset now, string reason)
    {
        Available += change;
        PendingChange += change;
        var movement = new LicenseMovement(kind, quantity, change, mailboxId, label, actor, now, reason, Available);
        _movements.Add(movement);
        return movement;
    }
}
