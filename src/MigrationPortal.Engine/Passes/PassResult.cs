using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Engine.Passes;

/// <param name="MessagesSkipped">Already in the destination: below the checkpoint, or matched by Message-ID and date.</param>
/// <param name="FolderStatistics">Each folder the pass finished, in the order it did.</param>
public sealed record PassResult(
    int Folders,
    int MessagesFound,
    int MessagesCopied,
    long BytesCopied,
    int MessagesSkipped,
    IReadOnlyList<FailedMessage> FailedMessages,
    bool Stopped)
{
    public IReadOnlyList<FolderStatistics> FolderStatistics { get; init; } = [];
    public long BytesFound { get; init; }
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// Appended messages the destination stored changed: another size than the bytes sent, or, for a message with raw
    /// 8-bit header text (checked by reading the copy back), other bytes of the same length (Cyrus's munge8bit).
    /// </summary>
    public int SizeMismatches { get; init; }

    /// <summary>The pass ended early: the destination refused more messages than <see cref="PassOptions.MaxMessageErrors"/>.</summary>
    public bool TooManyRefused { get; init; }

    /// <summary>Folders a Delta did not open: their STATUS was what it was when an earlier pass finished them.</summary>
    public int FoldersUnchanged { get; init; }

    /// <summary>Destination messages whose flags or keywords a Delta set to what they became on the source.</summary>
    public int FlagsUpdated { get; init; }

    /// <summary>Flags and keywords the destination's folders could not keep (not in their PERMANENTFLAGS).</summary>
    public IReadOnlyCollection<string> NotKept { get; init; } = [];

    /// <summary>Extensions the pass uses that the source or the destination lacks, and what it did instead.</summary>
    public IReadOnlyList<ExtensionFallback> Fallbacks { get; init; } = [];

    /// <summary>Source folders created under another name because the destination could not have theirs.</summary>
    public IReadOnlyList<FolderRename> RenamedFolders { get; init; } = [];

    /// <summary>Times a provider said it was throttling the pass (Microsoft's "Request is throttled") and the pass waited as told.</summary>
    public int ThrottledWaits { get; init; }

    /// <summary>How long those waits took in all.</summary>
    public TimeSpan ThrottledFor { get; init; }

    /// <summary>The server's words of the last throttling answer, for the dashboard; null when there was none.</summary>
    public string? LastThrottling { get; init; }

    /// <summary>How long the pass waited to stay within the project's <see cref="PassOptions.MaxMessagesPerSecond"/> and <see cref="PassOptions.MaxBytesPerSecond"/>.</summary>
    public TimeSpan RateLimitedFor { get; init; }

    /// <summary>
    /// The pass ended early because the provider's daily transfer cap was reached (Gmail's bandwidth limits): the
    /// server's words. What was copied is kept and checkpointed; the next pass, a day later, resumes. Null: not reached.
    /// <see cref="ProviderLimits.DescribeCap"/> words it for the admin.
    /// </summary>
    public string? TransferCapReached { get; init; }
}
