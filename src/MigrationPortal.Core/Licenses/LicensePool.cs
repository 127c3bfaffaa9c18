namespace MigrationPortal.Core.Licenses;

/// <summary>
/// The account's licenses not yet given to a mailbox. A license taken for a mailbox is either held
/// (its pass has moved no data yet, so it can come back) or consumed (gone for good).
/// Every change is written to the ledger as a <see cref="LicenseMovement"/>.
/// </summary>
public sealed class LicensePool
{
    public const int SingletonId = 1;
    public const int MaxAddAtOnce = 100_000;

    private readonly List<LicenseMovement> _movements = [];

    public LicensePool() { Id = SingletonId; }

    public int Id { get; private set; }
    public int Available { get; private set; }

    /// <summary>Optimistic concurrency: two starts racing for the last license cannot both win.</summary>
    public int Version { get; private set; }

    /// <summary>Movements recorded through this instance, saved with it; the full ledger is queried, not loaded.</summary>
    public IReadOnlyCollection<LicenseMovement> Movements => _movements;

    public LicenseMovement Add(int quantity, string actor, DateTimeOffset now, string? note)
    {
        if (quantity is < 1 or > MaxAddAtOnce)
            throw new DomainValidationException($"Add between 1 and {MaxAddAtOnce:N0} licenses at a time.");
        Available += quantity;
        return Record(LicenseMovementKind.Added, quantity, null, null, actor, now,
            string.IsNullOrWhiteSpace(note) ? "Licenses added" : note.Trim());
    }

    internal LicenseMovement Hold(int mailboxId, string mailboxLabel, string actor, DateTimeOffset now, string reason)
    {
        if (Available < 1)
            throw new Mailboxes.MailboxTransitionException(
                "No license is available. Add licenses on the Licenses page, then start the mailbox again.");
        Available--;
        return Record(LicenseMovementKind.Held, 1, mailboxId, mailboxLabel, actor, now, reason);
    }

    internal LicenseMovement Return(int mailboxId, string mailboxLabel, string actor, DateTimeOffset now, string reason)
    {
        Available++;
        return Record(LicenseMovementKind.Returned, 1, mailboxId, mailboxLabel, actor, now, reason);
    }

    internal LicenseMovement Consume(int mailboxId, string mailboxLabel, string actor, DateTimeOffset now, string reason) =>
        Record(LicenseMovementKind.Consumed, 1, mailboxId, mailboxLabel, actor, now, reason);

    private LicenseMovement Record(LicenseMovementKind kind, int quantity, int? mailboxId, string? label, string actor, DateTimeOffset now, string reason)
    {
        Version++;
        var movement = new LicenseMovement(kind, quantity, mailboxId, label, actor, now, reason, Available);
        _movements.Add(movement);
        return movement;
    }
}
