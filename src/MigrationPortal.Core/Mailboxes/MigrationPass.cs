namespace MigrationPortal.Core.Mailboxes;

public enum PassOutcome
{
    Running = 0,
    Completed = 1,
    Failed = 2,
    Stopped = 3,
}

/// <summary>What else a pass has to say besides its counts: what a Delta skipped or updated, and what the destination did not keep.</summary>
public sealed record PassNotes(int FoldersUnchanged, int FlagsUpdated, int SizeMismatches, IReadOnlyCollection<string> NotKept);

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

    /// <summary>Folders a Delta did not open: nothing in them had changed since an earlier pass finished them.</summary>
    public int FoldersUnchanged { get; private set; }

    /// <summary>Destination messages whose flags a Delta set to what they became on the source.</summary>
    public int FlagsUpdated { get; private set; }

    /// <summary>Copied messages whose size in the destination differs from the source's (the destination rewrote them).</summary>
    public int SizeMismatches { get; private set; }

    /// <summary>Flags and keywords the destination's folders do not keep (not in their PERMANENTFLAGS), space-separated; null when all were kept.</summary>
    public string? NotKept { get; private set; }

    public const int MaxNotKeptLength = 1000;

    /// <summary>
    /// How often a provider throttled the pass ("Request is throttled. Suggested Backoff Time: …") and the pass waited as
    /// told; written by the worker as each wait begins, so the dashboard can say so while it lasts.
    /// </summary>
    public int ThrottledWaits { get; private set; }

    /// <summary>Until when the pass waits after the latest throttling answer.</summary>
    public DateTimeOffset? ThrottledUntil { get; private set; }

    /// <summary>The provider's words in the latest throttling answer.</summary>
    public string? Throttling { get; private set; }

    public const int MaxThrottlingLength = 500;

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

    internal void RecordTotals(int skipped, int failed, TimeSpan duration, PassNotes? notes = null)
    {
        if (skipped < 0 || failed < 0 || duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(skipped), "A pass's totals cannot be negative.");
        MessagesSkipped = skipped;
        MessagesFailed = failed;
        Duration = duration;
        if (notes is null) return;
        if (notes.FoldersUnchanged < 0 || notes.FlagsUpdated < 0 || notes.SizeMismatches < 0)
            throw new ArgumentOutOfRangeException(nameof(notes), "A pass's totals cannot be negative.");
        FoldersUnchanged = notes.FoldersUnchanged;
        FlagsUpdated = notes.FlagsUpdated;
        SizeMismatches = notes.SizeMismatches;
        var notKept = string.Join(' ', notes.NotKept.Order(StringComparer.Ordinal));
        NotKept = notKept.Length == 0 ? null : notKept.Length <= MaxNotKeptLength ? notKept : notKept[..(MaxNotKeptLength - 1)] + "…";
    }

    internal void End(PassOutcome outcome, DateTimeOffset at)
    {
        Outcome = outcome;
        EndedAt = at;
    }
}
