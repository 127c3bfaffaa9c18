namespace MigrationPortal.Core.Licenses;

public enum LicenseMovementKind
{
    Added = 0,
    Held = 1,
    Returned = 2,
    Consumed = 3,
}

/// <summary>One line of the license ledger: who moved a license, when, for which mailbox, and why.</summary>
public sealed class LicenseMovement
{
    private LicenseMovement() { Actor = ""; Reason = ""; }

    internal LicenseMovement(LicenseMovementKind kind, int quantity, int change, int? mailboxId, string? mailboxLabel, string actor,
        DateTimeOffset at, string reason, int availableAfter)
    {
        Kind = kind;
        Change = change;
        Quantity = quantity;
        MailboxId = mailboxId;
        MailboxLabel = mailboxLabel;
        Actor = actor;
        At = at;
        Reason = reason;
        AvailableAfter = availableAfter;
    }

    public long Id { get; private set; }
    public LicenseMovementKind Kind { get; private set; }
    public int Quantity { get; private set; }

    /// <summary>Null once the mailbox is deleted; <see cref="MailboxLabel"/> keeps its name in the ledger.</summary>
    public int? MailboxId { get; private set; }
    public string? MailboxLabel { get; private set; }
    public string Actor { get; private set; }
    public DateTimeOffset At { get; private set; }
    public string Reason { get; private set; }
    public int AvailableAfter { get; private set; }

    /// <summary>What this movement did to the available count (+n added or returned, -1 held, 0 consumed); not stored.</summary>
    public int Change { get; private set; }

    internal void SetAvailableAfter(int available) => AvailableAfter = available;
}
