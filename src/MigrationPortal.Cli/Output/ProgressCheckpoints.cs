using System.Diagnostics;
using System.Globalization;
using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Cli.Output;

/// <summary>
/// The checkpoint store as the pass sees it: every call goes to the state file, and what it says about progress
/// (the inventory, each batch) becomes a line on stderr, at most once a second.
/// </summary>
public sealed class ProgressCheckpoints(ICheckpointStore inner, TextWriter progress, TimeProvider time) : ICheckpointStore
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly long _started = time.GetTimestamp();
    private long _lastPrinted = long.MinValue;
    private int _found;
    private int _copied;

    public Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct) => inner.GetAsync(sourceFolder, ct);

    public Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct) => inner.GetFailedAsync(ct);

    public Task<IReadOnlyDictionary<uint, uint>> GetCopiesAsync(string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, CancellationToken ct) =>
        inner.GetCopiesAsync(sourceFolder, sourceUidValidity, destinationUidValidity, ct);

    public async Task ReportFoundAsync(PassInventory found, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(found);
        await inner.ReportFoundAsync(found, ct);
        _found = found.Messages;
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Found {found.Messages} messages ({Bytes.Format(found.Bytes)}) in {found.Folders} folders."));
    }

    public async Task SaveAsync(BatchProgress batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await inner.SaveAsync(batch, ct);
        _copied += batch.Messages;
        var now = time.GetTimestamp();
        if (_lastPrinted != long.MinValue && time.GetElapsedTime(_lastPrinted, now) < Interval)
            return;
        _lastPrinted = now;
        var seconds = time.GetElapsedTime(_started, now).TotalSeconds;
        var ofFound = _found > 0 ? string.Create(CultureInfo.InvariantCulture, $" of {_found}") : "";
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{batch.Checkpoint.SourceFolder}: {_copied}{ofFound} messages copied, {(seconds > 0 ? _copied / seconds : 0):0.#} msgs/s"));
    }

    public Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct) => inner.SaveFolderAsync(folder, ct);
}

internal static class Bytes
{
    public static string Format(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GB"),
    };
}
