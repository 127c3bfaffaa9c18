using System.Text.Json;
using System.Text.Json.Serialization;
using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Cli.State;

/// <summary>Another migrator holds the state file.</summary>
public sealed class StateFileLockedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The state file cannot be used: unreadable, or written for another pair of mailboxes.</summary>
public sealed class StateFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The command-line migrator's checkpoints: one JSON file per mailbox pair holding what the portal keeps in its
/// database (each folder's checkpoint with its journal, the messages the destination refused). Every save writes a
/// temporary file, flushes it to disk and renames it over the old one, so a crash or power loss leaves either the
/// old or the new state, never half of one. A lock file beside it (an flock held while the store is open) keeps a
/// second migrator off the same state.
/// </summary>
public sealed partial class JsonCheckpointStore : ICheckpointStore, IDisposable
{
    private readonly FileStream _lock;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly StateDocument _state;

    private JsonCheckpointStore(string path, FileStream lockHandle, StateDocument state)
    {
        Path = path;
        _lock = lockHandle;
        _state = state;
    }

    public string Path { get; }

    /// <summary>Locks and reads the state file (an absent file is an empty state).</summary>
    /// <param name="pair">Who the state is for (source and destination); a file written for another pair is refused.</param>
    /// <exception cref="StateFileLockedException">Another migrator has it open.</exception>
    /// <exception cref="StateFileException">It cannot be read, or belongs to another pair.</exception>
    public static JsonCheckpointStore Open(string path, string pair)
    {
        path = System.IO.Path.GetFullPath(path);
        var lockPath = path + ".lock";
        FileStream lockHandle;
        try
        {
            // On Linux, FileShare.None is an flock(LOCK_EX | LOCK_NB): released by the kernel when the process ends,
            // however it ends, so a crashed migrator never leaves the state locked. The lock file itself is left
            // behind on purpose: deleting it would let two processes lock two different files of the same name.
            lockHandle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new StateFileLockedException(
                $"The state file {path} is in use by another migrator (its lock {lockPath} is held). " +
                "Wait for it to finish, or give this one another --state file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateFileException($"Cannot create the lock file {lockPath}: {e.Message}", e);
        }

        try
        {
            var state = Read(path) ?? new StateDocument { Pair = pair };
            if (state.Pair != pair)
                throw new StateFileException(
                    $"The state file {path} belongs to another migration ({state.Pair}), not to {pair}. Give another --state file.");
            return new JsonCheckpointStore(path, lockHandle, state);
        }
        catch
        {
            lockHandle.Dispose();
            throw;
        }
    }

    /// <summary>How many folders earlier runs checkpointed: printed at start, so a resume is visible.</summary>
    public int FoldersKnown => _state.Folders.Count;

    public Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct) =>
        Task.FromResult(_state.Folders.TryGetValue(sourceFolder, out var c) ? c.ToCheckpoint(sourceFolder) : null);

    public Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<FailedMessage>>([.. _state.Failed]);

    public Task<IReadOnlyDictionary<uint, uint>> GetCopiesAsync(string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, CancellationToken ct)
    {
        var map = new Dictionary<uint, uint>();
        foreach (var part in _state.Copies.GetValueOrDefault(sourceFolder) ?? [])
            if (part.SourceUidValidity == sourceUidValidity && part.DestinationUidValidity == destinationUidValidity)
                UidList.AddPairs(map, part.Source, part.Destination);
        return Task.FromResult<IReadOnlyDictionary<uint, uint>>(map);
    }

    public Task ReportFoundAsync(PassInventory found, CancellationToken ct) => Task.CompletedTask;

    public Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct) => Task.CompletedTask;

    public async Task SaveAsync(BatchProgress batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _write.WaitAsync(ct);
        try
        {
            var c = batch.Checkpoint;
            _state.Folders[c.SourceFolder] = new FolderState(c.UidValidity, c.HighestCopiedUid, c.JournalDestinationUidValidity, c.JournalDestinationUidNext,
                c.SourceStatus, c.DestinationUidValidity);
            if (batch.Copies is { Count: > 0 } copies) AddCopies(c.SourceFolder, copies);
            foreach (var recovered in batch.Recovered ?? [])
                _state.Failed.RemoveAll(f => f.Folder == recovered.Folder && f.Uid == recovered.Uid);
            foreach (var failed in batch.Failed ?? [])
            {
                _state.Failed.RemoveAll(f => f.Folder == failed.Folder && f.Uid == failed.Uid);
                _state.Failed.Add(failed);
            }
            _state.MessagesCopied += batch.Messages;
            _state.BytesCopied += batch.Bytes;
            await WriteAsync(ct);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>
    /// One entry per pair of UIDVALIDITYs, each batch appended to the last (a folder copied in order stays "1:N"); what
    /// was copied under another source UIDVALIDITY names messages that are gone, and is dropped.
    /// </summary>
    private void AddCopies(string folder, CopiedMessages copies)
    {
        if (!_state.Copies.TryGetValue(folder, out var parts)) _state.Copies[folder] = parts = [];
        // Either side's UIDVALIDITY changed: the older parts name messages that are gone.
        parts.RemoveAll(p => p.SourceUidValidity != copies.SourceUidValidity || p.DestinationUidValidity != copies.DestinationUidValidity);
        if (parts.Count > 0 && parts[^1].DestinationUidValidity == copies.DestinationUidValidity)
            parts[^1] = parts[^1] with
            {
                Source = UidList.Append(parts[^1].Source, copies.Source),
                Destination = UidList.Append(parts[^1].Destination, copies.Destination),
            };
        else
            parts.Add(new CopiedMessagesState(copies.SourceUidValidity, copies.DestinationUidValidity, UidList.Format(copies.Source), UidList.Format(copies.Destination)));
    }

    private async Task WriteAsync(CancellationToken ct)
    {
        var temporary = $"{Path}.tmp-{Environment.ProcessId}";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(file, _state, StateJson.Default.StateDocument, ct);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
    }

    private static StateDocument? Read(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize(file, StateJson.Default.StateDocument)
                ?? throw new StateFileException($"The state file {path} is empty.");
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new StateFileException($"The state file {path} is not a migrator state file: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateFileException($"Cannot read the state file {path}: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _lock.Dispose();
        _write.Dispose();
    }

    /// <summary>
    /// The state file's serializer, generated at compile time (System.Text.Json source generation) rather than built by
    /// reflection at run time: the CLI then starts without that work, and publishes as a native (AOT) binary.
    /// </summary>
    [JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(StateDocument))]
    private sealed partial class StateJson : JsonSerializerContext;

    private sealed class StateDocument
    {
        public int Version { get; set; } = 1;
        public string Pair { get; set; } = "";
        public Dictionary<string, FolderState> Folders { get; set; } = new(StringComparer.Ordinal);
        public List<FailedMessage> Failed { get; set; } = [];

        /// <summary>The map of copied messages per source folder; absent in files written before it was kept.</summary>
        public Dictionary<string, List<CopiedMessagesState>> Copies { get; set; } = new(StringComparer.Ordinal);
        public long MessagesCopied { get; set; }
        public long BytesCopied { get; set; }
    }

    /// <summary>Source UID i of the folder became destination UID i (<see cref="UidList"/> text).</summary>
    private sealed record CopiedMessagesState(uint SourceUidValidity, uint DestinationUidValidity, string Source, string Destination);

    /// <param name="SourceStatus">Absent in files written before Delta compared STATUS: such a folder is opened once more.</param>
    /// <param name="DestinationUidValidity">Absent in files written before it was kept: such a folder, too, is opened once more.</param>
    private sealed record FolderState(uint UidValidity, uint HighestCopiedUid, uint? JournalDestinationUidValidity, uint? JournalDestinationUidNext,
        FolderStatus? SourceStatus = null, uint? DestinationUidValidity = null)
    {
        public FolderCheckpoint ToCheckpoint(string folder) =>
            new(folder, UidValidity, HighestCopiedUid, JournalDestinationUidValidity, JournalDestinationUidNext, SourceStatus, DestinationUidValidity);
    }
}
