namespace MigrationPortal.Core.Mailboxes;

public enum PassOutcome
{
    Running = 0,
    Completed = 1,
    Failed = 2,
    Stopped = 3,
}

/// <summary>One copy pass over a mailbox, with what it moved.</summary>
public sealed class MigrationPass
{
    private MigrationPass() { }

    internal MigrationPass(int number, DateTimeOffset startedAt)
    {
        Number = number;
        StartedAt = startedAt;
        Outcome = PassOutcome.Running;
    }

    public long Id { get; private set; }
    public int MailboxId { get; private set; }
    public int Number { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }
    public PassOutcome Outcome { get; private set; }
    public int ItemsCopied { get; private set; }
    public long BytesCopied { get; private set; }

    public bool MovedData => ItemsCopied > 0 || BytesCopied > 0;

    internal void AddProgress(int items, long bytes)
    {
        if (items < 0 || bytes < 0) throw new ArgumentOutOfRangeException(nameof(items), "Progress cannot be negative.");
        ItemsCopied += items;
        BytesCopied += bytes;
    }

    internal void End(PassOutcome outcome, DateTimeOffset at)
    {
        Outcome = outcome;
        EndedAt = at;
    }
}
