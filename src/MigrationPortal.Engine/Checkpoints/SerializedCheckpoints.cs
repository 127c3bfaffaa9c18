namespace MigrationPortal.Engine.Checkpoints;

/// <summary>
/// One call at a time into a checkpoint store: the folders a pass copies side by side share their pass's store, and
/// the portal's store works through one DbContext, which must not be used by two calls at once.
/// </summary>
internal sealed class SerializedCheckpoints(ICheckpointStore inner) : ICheckpointStore
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct) => OneAtATimeAsync(() => inner.GetAsync(sourceFolder, ct), ct);

    public Task SaveAsync(BatchProgress batch, CancellationToken ct) => OneAtATimeAsync(() => inner.SaveAsync(batch, ct), ct);

    public Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct) => OneAtATimeAsync(() => inner.GetFailedAsync(ct), ct);

    public Task<IReadOnlyDictionary<uint, uint>> GetCopiesAsync(string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, CancellationToken ct) =>
        OneAtATimeAsync(() => inner.GetCopiesAsync(sourceFolder, sourceUidValidity, destinationUidValidity, ct), ct);

    public Task ReportFoundAsync(PassInventory found, CancellationToken ct) => OneAtATimeAsync(() => inner.ReportFoundAsync(found, ct), ct);

    public Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct) => OneAtATimeAsync(() => inner.SaveFolderAsync(folder, ct), ct);

    public Task SaveFoldersAsync(IReadOnlyList<FolderStatistics> folders, CancellationToken ct) => OneAtATimeAsync(() => inner.SaveFoldersAsync(folders, ct), ct);

    private async Task OneAtATimeAsync(Func<Task> call, CancellationToken ct) =>
        await OneAtATimeAsync(async () => { await call(); return true; }, ct);

    private async Task<T> OneAtATimeAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await call();
        }
        finally
        {
            _gate.Release();
        }
    }
}
