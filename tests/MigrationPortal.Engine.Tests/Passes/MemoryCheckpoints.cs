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

    public PassInventory? Found { get; private set; }
    public List<FolderStatistics> FolderStatistics { get; } = [];

    private readonly ConcurrentDictionary<string, List<CopiedMessages>> _copies = new();

    /// <summary>Forgets the map of copied messages, as if the messages had been copied before it was kept.</summary>
    public void ForgetCopies() => _copies.Clear();

    public Task<IReadOnlyDictionary<uint, uint>> GetCopiesAsync(string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, CancellationToken ct)
    {
        var map = new Dictionary<uint, uint>();
        foreach (var part in _copies.GetValueOrDefault(sourceFolder) ?? [])
            if (part.SourceUidValidity == sourceUidValidity && part.DestinationUidValidity == destinationUidValidity)
                for (var i = 0; i < part.Count; i++) map[part.Source[i]] = part.Destination[i];
        return Task.FromResult<IReadOnlyDictionary<uint, uint>>(map);
    }

    public Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<FailedMessage>>([.. Failed]);

    public Task ReportFoundAsync(PassInventory found, CancellationToken ct)
    {
        Found = found;
        return Task.CompletedTask;
    }

    public Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct)
    {
        FolderStatistics.Add(folder);
        return Task.CompletedTask;
    }

    /// <summary>Runs before a save writes anything; what it throws, the save throws.</summary>
    public Func<BatchProgress, Task>? BeforeSave { get; set; }

    public async Task SaveAsync(BatchProgress batch, CancellationToken ct)
    {
        if (BeforeSave is { } before) await before(batch);
        if (batch.Messages > 0 && CrashOnProgress > 0 && --CrashOnProgress == 0)
            throw new SimulatedCrash();
        _folders[batch.Checkpoint.SourceFolder] = batch.Checkpoint;
        Bytes += batch.Bytes;
        if (batch.Copies is { } copies) _copies.GetOrAdd(batch.Checkpoint.SourceFolder, _ => []).Add(copies);
        foreach (var failed in batch.Failed ?? [])
        {
            // A message refused again (Retry Errors) is still one failed message, with the latest answer.
            Failed.RemoveAll(f => f.Folder == failed.Folder && f.Uid == failed.Uid);
            Failed.Add(failed);
        }
        foreach (var recovered in batch.Recovered ?? [])
            Failed.RemoveAll(f => f.Folder == recovered.Folder && f.Uid == recovered.Uid);
        AfterSave?.Invoke(batch);
    }
}

internal sealed class SimulatedCrash : Exception;
