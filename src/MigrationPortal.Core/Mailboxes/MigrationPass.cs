namespace MigrationPortal.Core.Mailboxes;

public enum PassOutcome
{
    Running = 0,
    Completed = 1,
    Failed = 2,
    Stopped = 3,
}

/// <summary>
/// What else a pass has to say besides its counts: what a Delta skipped or updated, what the destination did not keep,
/// the extensions a server lacked with what the pass did instead, and the folders it created under another name. The
/// last two are the engine's sentences (one per item; Core does not know the engine's types), in its order.
/// </summary>
public sealed record PassNotes(int FoldersUnchanged, int FlagsUpdated, int SizeMismatches, IReadOnlyCollection<string> NotKept)
{
    /// <summary>"The destination has no MULTIAPPEND: one APPEND command per message instead of up to 50 in one."</summary>
    public IReadOnlyList<string> ServerFallbacks { get; init; } = [];

    /// <summary>"Ideas! → Ideas_ (the destination refused the name: Invalid mailbox name)"</summary>
    public IReadOnlyList<string> FoldersRenamed { get; init; } = [];
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

    /// <summary>Folders a Delta did not open: nothing in them had changed since an earlier pass finished them.</summary>
    public int FoldersUnchanged { get; private set; }

    /// <summary>Destination messages whose flags a Delta set to what they became on the source.</summary>
    public int FlagsUpdated { get; private set; }

    /// <summary>Copied messages whose size in the destination differs from the source's (the destination rewrote them).</summary>
    public int SizeMismatches { get; private set; }

    /// <summary>Flags and keywords the destination's folders do not keep (not in their PERMANENTFLAGS), space-separated; null when all were kept.</summary>
    public string? NotKept { get; private set; }

    public const int MaxNotKeptLength = 1000;

    /// <summary>The extensions the source or destination lacked and what the pass did instead, one sentence a line; null when neither lacked any.</summary>
    public string? ServerFallbacks { get; private set; }

    /// <summary>Source folders created under another name in the destination, with why, one a line; null when none was.</summary>
    public string? FoldersRenamed { get; private set; }

    /// <summary>The most <see cref="ServerFallbacks"/> and <see cref="FoldersRenamed"/> each keep: a mailbox with thousands of odd names is cut off, marked with "…".</summary>
    public const int MaxLinesLength = 4000;

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
        NotKept = Capped(notKept, MaxNotKeptLength);
        ServerFallbacks = Capped(Lines(notes.ServerFallbacks), MaxLinesLength);
        FoldersRenamed = Capped(Lines(notes.FoldersRenamed), MaxLinesLength);
    }

    /// <summary>One item a line; a line break inside an item (a server's odd words) would read as two, so it becomes a space.</summary>
    private static string Lines(IEnumerable<string> items) =>
        string.Join('\n', items.Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => i.ReplaceLineEndings(" ").Trim()));

    /// <summary>Null for nothing; else at most <paramref name="max"/> characters, a cut one ending in "…" (never between the halves of a surrogate pair, which PostgreSQL would refuse).</summary>
    private static string? Capped(string text, int max)
    {
        if (text.Length == 0) return null;
        if (text.Length <= max) return text;
        var cut = char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1;
        return text[..cut] + "…";
    }

    internal void End(PassOutcome outcome, DateTimeOffset at)
    {
        Outcome = outcome;
        EndedAt = at;
    }
}
