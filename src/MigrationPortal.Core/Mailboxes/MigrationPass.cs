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

    internal MigrationPass(int number, DateTimeOffset startedAt, PassKind kind = PassKind.Full, DateTimeOffset? preStageBefore = null)
    {
        Number = number;
        StartedAt = startedAt;
        Outcome = PassOutcome.Running;
        Kind = kind;
        PreStageBefore = preStageBefore;
    }

    public long Id { get; private set; }
    public int MailboxId { get; private set; }
    public int Number { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }
    public PassOutcome Outcome { get; private set; }
    public PassKind Kind { get; private set; }
    public DateTimeOffset? PreStageBefore { get; private set; }
    public int ItemsCopied { get; private set; }
    public long BytesCopied { get; private set; }

    /// <summary>What the pass found on the source, once it has looked (null before): what its progress is measured against.</summary>
    public int? FoldersFound { get; private set; }
    public int? MessagesFound { get; private set; }
    public long? BytesFound { get; private set; }

    /// <summary>Already in the destination; recorded when the pass ends.</summary>
    public int MessagesSkipped { get; private set; }

    /// <summary>Refused by the destination in this pass; recorded when the pass ends.</summary>
    public int MessagesFailed { get; private set; }

    /// <summary>How long the engine worked on the pass (not the time spent waiting for a worker); recorded when it ends.</summary>
    public TimeSpan? Duration { get; private set; }

    public bool MovedData => ItemsCopied > 0 || BytesCopied > 0;

    /// <summary>Retry Errors is free: it neither holds nor consumes a license, nor counts against one.</summary>
    public bool UsesLicense => Kind != PassKind.RetryErrors;

    /// <summary>Messages copied per second of the pass's duration; null until it has one.</summary>
    public double? MessagesPerSecond => Duration is { TotalSeconds: > 0 } d ? ItemsCopied / d.TotalSeconds : null;

    public double? BytesPerSecond => Duration is { TotalSeconds: > 0 } d ? BytesCopied / d.TotalSeconds : null;

    internal void AddProgress(int items, long bytes)
    {
        if (items < 0 || bytes < 0) throw new ArgumentOutOfRangeException(nameof(items), "Progress cannot be negative.");
        ItemsCopied += items;
        BytesCopied += bytes;
    }

    internal void RecordInventory(int folders, int messages, long bytes)
    {
        if (folders < 0 || messages < 0 || bytes < 0) throw new ArgumentOutOfRangeException(nameof(messages), "What a pass found cannot be negative.");
        FoldersFound = folders;
        MessagesFound = messages;
        BytesFound = bytes;
    }

    internal void RecordTotals(int skipped, int failed, TimeSpan duration)
    {
        if (skipped < 0 || failed < 0 || duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(skipped), "A pass's totals cannot be negative.");
        MessagesSkipped = skipped;
        MessagesFailed = failed;
        Duration = duration;
    }

    internal void End(PassOutcome outcome, DateTimeOffset at)
    {
        Outcome = outcome;
        EndedAt = at;
    }
}
