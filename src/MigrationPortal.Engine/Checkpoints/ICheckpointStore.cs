namespace MigrationPortal.Engine.Checkpoints;

/// <summary>
/// Where a folder's copy stands: the source folder's UIDVALIDITY and the highest source UID copied under it. While a
/// batch is being appended, also the journal: the destination folder's UIDVALIDITY and UIDNEXT before the batch, so a
/// pass after a crash in mid-batch knows which destination messages may be this batch's and adopts them instead of
/// appending them again.
/// </summary>
public sealed record FolderCheckpoint(string SourceFolder, uint UidValidity, uint HighestCopiedUid,
    uint? JournalDestinationUidValidity = null, uint? JournalDestinationUidNext = null)
{
    public bool HasJournal => JournalDestinationUidNext is not null;
}

/// <summary>A message the destination refused; the pass goes on without it, and the admin sees it on the item page.</summary>
public sealed record FailedMessage(string Folder, uint Uid, string? Subject, long Size, string ServerAnswer);

/// <summary>What was copied in one batch (and what was refused), saved together with the checkpoint it reaches.</summary>
public sealed record BatchProgress(FolderCheckpoint Checkpoint, int Messages, long Bytes, IReadOnlyList<FailedMessage>? Failed = null);

/// <summary>
/// What a pass reads and writes between batches. The portal keeps it in its database, fenced by the worker's claim;
/// a write that is refused (the claim was lost) ends the pass.
/// </summary>
public interface ICheckpointStore
{
    Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct);

    /// <summary>Saves the batch's progress and checkpoint in one transaction.</summary>
    Task SaveAsync(BatchProgress batch, CancellationToken ct);
}
