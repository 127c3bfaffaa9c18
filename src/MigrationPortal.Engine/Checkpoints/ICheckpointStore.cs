namespace MigrationPortal.Engine.Checkpoints;

/// <summary>
/// Where a folder's copy stands: the source folder's UIDVALIDITY and the highest source UID copied under it. While a
/// batch is being appended, also the journal: the destination folder's UIDVALIDITY and UIDNEXT before the batch, so a
/// pass after a crash in mid-batch knows which destination messages may be this batch's and adopts them instead of
/// appending them again.
/// <para>
/// When the pass finished the folder, also the source folder's STATUS as it was listed then (<paramref name="SourceStatus"/>):
/// a Delta that lists the same UIDVALIDITY, UIDNEXT, MESSAGES and HIGHESTMODSEQ knows nothing arrived, left or changed
/// its flags since, and does not open the folder. Any other save (a batch in flight, a Stop) leaves it null, so only a
/// folder known to be complete is ever skipped.
/// </para>
/// <para>
/// <paramref name="DestinationUidValidity"/> is the UIDVALIDITY of the destination folder the copies went into. When the
/// destination lists another one (the folder was deleted, or deleted and made again), the copies below
/// <paramref name="HighestCopiedUid"/> are no longer known to be there: the folder is copied as on a first pass,
/// adopting what the destination holds and copying the rest. Null in checkpoints written before it was kept.
/// </para>
/// </summary>
public sealed record FolderCheckpoint(string SourceFolder, uint UidValidity, uint HighestCopiedUid,
    uint? JournalDestinationUidValidity = null, uint? JournalDestinationUidNext = null, FolderStatus? SourceStatus = null,
    uint? DestinationUidValidity = null)
{
    public bool HasJournal => JournalDestinationUidNext is not null;
}

/// <summary>
/// A folder's STATUS (RFC 3501 UIDNEXT and MESSAGES; RFC 7162 HIGHESTMODSEQ where the server has CONDSTORE, which also
/// moves when a flag changes). HIGHESTMODSEQ is at most 2^63 - 1 (RFC 7162's mod-sequence-value), so it fits a long.
/// </summary>
public sealed record FolderStatus(uint UidNext, int Messages, long? HighestModSeq);

/// <summary>A message the destination refused; the pass goes on without it, and the admin sees it on the item page.</summary>
public sealed record FailedMessage(string Folder, uint Uid, string? Subject, long Size, string ServerAnswer);

/// <summary>
/// What was copied in one batch (and what was refused), saved together with the checkpoint it reaches. A message in
/// <paramref name="Failed"/> that is already recorded as failed (refused again by Retry Errors) stays one record, with
/// the latest answer. <paramref name="Recovered"/> are messages that had failed in an earlier pass and are now copied: they are no longer failed.
/// </summary>
public sealed record BatchProgress(FolderCheckpoint Checkpoint, int Messages, long Bytes, IReadOnlyList<FailedMessage>? Failed = null,
    IReadOnlyList<FailedMessage>? Recovered = null)
{
    /// <summary>Which destination message each message of the batch became, saved in the same transaction as the checkpoint.</summary>
    public CopiedMessages? Copies { get; init; }
}

/// <summary>
/// The map of copied messages: source message <c>Source[i]</c> of the folder (under <paramref name="SourceUidValidity"/>)
/// is destination message <c>Destination[i]</c> (under <paramref name="DestinationUidValidity"/>), as the destination's
/// APPENDUID answered (RFC 4315). A Delta carries flag changes over through it to exactly the copy a message became,
/// which identity cannot do for two identical messages; either side's UIDVALIDITY changing voids it.
/// </summary>
public sealed record CopiedMessages(uint SourceUidValidity, uint DestinationUidValidity, IReadOnlyList<uint> Source, IReadOnlyList<uint> Destination)
{
    public int Count => Source.Count;
}

/// <summary>What the pass found on the source before copying: what its progress is measured against.</summary>
public sealed record PassInventory(int Folders, int Messages, long Bytes);

/// <summary>One folder's share of a pass, saved when the pass is done with the folder.</summary>
public sealed record FolderStatistics(
    string SourceFolder,
    string DestinationFolder,
    int MessagesFound,
    long BytesFound,
    int MessagesCopied,
    long BytesCopied,
    int MessagesSkipped,
    int MessagesFailed,
    TimeSpan Duration);

/// <summary>
/// What a pass reads and writes between batches. The portal keeps it in its database, fenced by the worker's claim;
/// a write that is refused (the claim was lost) ends the pass.
/// </summary>
public interface ICheckpointStore
{
    Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct);

    /// <summary>Saves the batch's progress and checkpoint in one transaction.</summary>
    Task SaveAsync(BatchProgress batch, CancellationToken ct);

    /// <summary>The messages earlier passes could not copy and that are still not copied (what Retry Errors retries).</summary>
    Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct);

    /// <summary>
    /// The destination UID of each message earlier passes copied from the source folder, as saved with their batches
    /// (<see cref="BatchProgress.Copies"/>); only what was saved under both UIDVALIDITYs given.
    /// </summary>
    Task<IReadOnlyDictionary<uint, uint>> GetCopiesAsync(string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, CancellationToken ct);

    /// <summary>Called once, before the first message is copied.</summary>
    Task ReportFoundAsync(PassInventory found, CancellationToken ct);

    /// <summary>Called when the pass is done with a folder (not for a folder a Stop interrupted).</summary>
    Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct);

    /// <summary>
    /// Several folders done at once (a Delta's unchanged folders, found before any is opened). A store that writes
    /// each save in a transaction of its own does better in one.
    /// </summary>
    async Task SaveFoldersAsync(IReadOnlyList<FolderStatistics> folders, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(folders);
        foreach (var folder in folders) await SaveFolderAsync(folder, ct);
    }
}
