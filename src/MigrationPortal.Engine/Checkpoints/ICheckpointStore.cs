namespace MigrationPortal.Engine.Checkpoints;

/// <summary>Where a folder's copy stands: the source folder's UIDVALIDITY and the highest source UID copied under it.</summary>
public sealed record FolderCheckpoint(string SourceFolder, uint UidValidity, uint HighestCopiedUid);

/// <summary>What was copied in one batch, saved together with the checkpoint it reaches.</summary>
public sealed record BatchProgress(FolderCheckpoint Checkpoint, int Messages, long Bytes);

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
