using System.Collections.Concurrent;
using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>Checkpoints kept in memory, as the CLI's file would hold them; can simulate a crash before a save.</summary>
internal sealed class MemoryCheckpoints : ICheckpointStore
{
    private readonly ConcurrentDictionary<string, FolderCheckpoint> _folders = new();
    public long Bytes { get; private set; }
    public Action<BatchProgress>? AfterSave { get; set; }
    public List<FailedMessage> Failed { get; } = [];

    public Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct) =>
        Task.FromResult(_folders.TryGetValue(sourceFolder, out var c) ? c : null);

    /// <summary>Throws on the n-th save that carries progress, as if the process died just before writing it.</summary>
    public int CrashOnProgress { get; set; }

    public Task SaveAsync(BatchProgress batch, CancellationToken ct)
    {
        if (batch.Messages > 0 && CrashOnProgress > 0 && --CrashOnProgress == 0)
            throw new SimulatedCrash();
        _folders[batch.Checkpoint.SourceFolder] = batch.Checkpoint;
        Bytes += batch.Bytes;
        Failed.AddRange(batch.Failed ?? []);
        AfterSave?.Invoke(batch);
        return Task.CompletedTask;
    }
}

internal sealed class SimulatedCrash : Exception;
