using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Engine.Imap;
using MimeKit;

namespace MigrationPortal.Engine.Passes;

/// <summary>
/// One pass over a mailbox: every selectable source folder is copied into the destination folder of the same path
/// (hierarchy kept across delimiters, special-use folders mapped to the destination's own, missing folders created),
/// each message with its exact bytes, flags, keywords and INTERNALDATE. The source is only read (EXAMINE, BODY.PEEK).
///
/// Per folder the checkpoint (UIDVALIDITY, highest UID copied) decides what is new, so a second pass, or a resume after
/// a crash or a Stop, copies nothing twice. Bodies stream through a small pipeline: the source connection fetches the
/// next batch while the destination's <see cref="AppendWriter"/> appends the current one in one MULTIAPPEND, and each
/// batch's checkpoint is saved with the journal for the next (where the destination folder stood before it), so a
/// crash in mid-batch is recovered by adopting what was appended instead of appending it again.
/// Stop arrives through a token and ends the pass at a batch boundary, after the batch in flight is checkpointed.
/// </summary>
public sealed class MailboxPass
{
    private readonly IMailStore source;
    private readonly IMailStore destination;
    private readonly PassLane own;

    public MailboxPass(IMailStore source, IMailStore destination, AppendWriter writer, ICheckpointStore store)
        : this(new PassLane(source, destination, writer), store)
    {
    }

    /// <param name="lane">The pass's own connections; its writer may be opened only when a folder is first copied.</param>
    public MailboxPass(PassLane lane, ICheckpointStore store)
    {
        ArgumentNullException.ThrowIfNull(lane);
        (source, destination, own) = (lane.Source, lane.Destination, lane);
        checkpoints = new SerializedCheckpoints(store);
    }

    // Folders copied at once share the store; the portal's is one DbContext, which takes one call at a time.
    private readonly ICheckpointStore checkpoints;

    public const int DefaultBatchSize = AppendWriter.MaxMessagesPerCommand;

    /// <summary>Messages per APPEND and per checkpoint: what a crash may make the next pass look at again (never copy again).</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Bytes per batch, so a batch of large messages stays a bounded amount of memory.</summary>
    public long BatchBytes { get; init; } = AppendWriter.MaxBytesPerCommand;

    public PassOptions Options { get; init; } = PassOptions.Full;

    // Under a rate limit a batch is at most one second's worth, so the server sees a steady pace rather than a
    // MULTIAPPEND of 50 every 12 seconds; a single larger message still makes a batch of its own.
    private int PacedBatchSize => Options.MaxMessagesPerSecond is { } perSecond ? (int)Math.Clamp(Math.Ceiling(perSecond), 1, BatchSize) : BatchSize;
    private long PacedBatchBytes => Options.MaxBytesPerSecond is { } perSecond ? Math.Clamp(perSecond, 1, BatchBytes) : BatchBytes;

    /// <summary>Message summaries fetched at once while planning a folder: what MailKit holds of it at any moment.</summary>
    public int PlanChunk { get; init; } = 2000;

    /// <summary>Shared by every pass of the process: the message bytes all of them may hold at once. None: no limit but the batches'.</summary>
    public BufferBudget? Budget { get; init; }

    /// <summary>
    /// Folders copied at the same time, each over connections of its own (<see cref="OpenLane"/>): one connection pair
    /// waits on round trips a second one fills. 1: one folder after another over the pass's own connections.
    /// </summary>
    public int Lanes { get; init; } = 1;

    /// <summary>Opens one more set of connections for another folder; a lane that cannot be opened is done without.</summary>
    public Func<CancellationToken, Task<PassLane>>? OpenLane { get; init; }

    /// <summary>
    /// What this pass has done so far. A pass retried after a transient fault runs again with the same totals: folders
    /// it finished are not opened again, and what it copied before the fault still counts as this pass's work.
    /// </summary>
    internal PassTotals Totals { get; init; } = new();

    /// <summary>The clock <see cref="PassOptions.MaxMessagesPerSecond"/> and <see cref="PassOptions.MaxBytesPerSecond"/> wait on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Cancelled by a Stop, or by more refused messages than <see cref="PassOptions.MaxMessageErrors"/>.</summary>
    private CancellationTokenSource? _ending;

    public async Task<PassResult> RunAsync(CancellationToken stop, CancellationToken abort = default)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _ending = ending;
        // Once per pass, not per attempt: a retried pass goes on at the rate it had, with no fresh burst.
        lock (Totals)
        {
            if (Options.MaxMessagesPerSecond is { } messages) Totals.MessageRate ??= new TransferRate(messages, Time);
            if (Options.MaxBytesPerSecond is { } bytes) Totals.ByteRate ??= new TransferRate(bytes, Time);
        }
        var result = await RunAsync(Totals, ending.Token, abort);
        return result with { Stopped = stop.IsCancellationRequested, TooManyRefused = TooManyRefused(Totals) };
    }

    private bool TooManyRefused(PassTotals totals)
    {
        lock (totals) return Options.MaxMessageErrors is { } max && totals.FailedMessages.Count > max;
    }

    private async Task<PassResult> RunAsync(PassTotals totals, CancellationToken stop, CancellationToken abort)
    {
        var sourceCapabilities = Capabilities(source);
        var destinationCapabilities = Capabilities(destination);
        totals.Fallbacks = ServerDifferences.Fallbacks(sourceCapabilities, destinationCapabilities);
        var specialUse = await SpecialUseFoldersAsync(destination, abort);
        // Only a Delta skips folders, so only a Delta needs the destination's side of the comparison: listed on its own
        // connection while the source lists on its own (measured: about 10 ms more for a no-change Delta of 16 folders).
        var sourceListing = ListAsync(source, abort);
        var destinationListing = Options.Kind == PassKind.Delta ? DestinationUidValiditiesAsync(destination, abort) : null;
        if (destinationListing is not null) await Task.WhenAll(sourceListing, destinationListing); // both done, even when one fails
        var folders = await sourceListing;
        var destinationFolders = destinationListing is null ? null : await destinationListing;
        totals.BytesFound = folders.Sum(f => (long)(f.Size ?? 0));
        await checkpoints.ReportFoundAsync(new PassInventory(folders.Count, folders.Sum(f => f.Count), totals.BytesFound), abort);
        var retry = Options.Kind == PassKind.RetryErrors ? await checkpoints.GetFailedAsync(abort) : null;

        // Every folder is still as listed here: none is opened (which would update its counts) before they are all planned.
        var work = new List<FolderWork>();
        var unchangedFolders = new List<FolderStatistics>();
        var roles = Roles(folders, sourceCapabilities);

        foreach (var folder in folders)
        {
            if (stop.IsCancellationRequested) break;
            if (retry is not null && !retry.Any(f => f.Folder == folder.FullName)) continue;
            if (totals.CompletedFolders.Contains(folder.FullName)) continue;
            var checkpoint = await checkpoints.GetAsync(folder.FullName, abort);
            var status = ListedStatus(folder);
            var role = roles.GetValueOrDefault(folder.FullName);
            var mapped = role is { } use && specialUse.TryGetValue(use, out var existing) ? existing : null;
            if (Options.Kind == PassKind.Delta && status is not null && checkpoint is { HasJournal: false, SourceStatus: { } known }
                && checkpoint.UidValidity == folder.UidValidity && known == status
                && checkpoint.DestinationUidValidity is { } copiedInto
                && destinationFolders!.GetValueOrDefault(mapped?.FullName ?? DestinationPath(folder)) == copiedInto)
            {
                // dsync's test: nothing arrived, left or changed flags since the folder was finished, and the copies
                // are still in the folder they went into (new mail delivered to the destination is no change: it is not
                // the source's); neither side is opened.
                var unchanged = new FolderStatistics(folder.FullName, mapped?.FullName ?? DestinationPath(folder), status.Messages,
                    (long)(folder.Size ?? 0), 0, 0, status.Messages, 0, TimeSpan.Zero);
                totals.CompletedFolders.Add(folder.FullName);
                totals.Folders++;
                totals.FoldersUnchanged++;
                totals.Found += status.Messages;
                totals.Skipped += status.Messages;
                totals.Statistics.Add(unchanged);
                unchangedFolders.Add(unchanged);
                continue;
            }
            // Every destination folder exists before any is copied: lanes copying side by side never race to create a parent.
            var target = mapped ?? await EnsureFolderAsync(folder, role, destinationCapabilities, totals, abort);
            work.Add(new FolderWork(folder, target, checkpoint, status, (long)(folder.Size ?? 0), retry?.Where(f => f.Folder == folder.FullName).ToList()));
        }
        if (unchangedFolders.Count > 0) await checkpoints.SaveFoldersAsync(unchangedFolders, abort);
        await CopyAllAsync(work, totals, stop, abort);
        return Result(totals, stop.IsCancellationRequested);
    }

    /// <summary>A folder to copy, as listed by the pass's own connections.</summary>
    private sealed record FolderWork(IMailFolder Folder, IMailFolder Target, FolderCheckpoint? Checkpoint, FolderStatus? Status, long ListedBytes,
        IReadOnlyList<FailedMessage>? Retry);

    /// <summary>
    /// Copies the folders, one after another, or side by side over <see cref="Lanes"/> sets of connections, largest
    /// first so the last to finish is a small one. A fault in one lane ends the others and is what the pass throws.
    /// </summary>
    private async Task CopyAllAsync(List<FolderWork> work, PassTotals totals, CancellationToken stop, CancellationToken abort)
    {
        var lanes = Math.Min(Lanes, work.Count);
        if (lanes <= 1 || OpenLane is null)
        {
            foreach (var item in work)
            {
                if (stop.IsCancellationRequested) break;
                await CopyAndRecordAsync(own, item, totals, stop, abort);
            }
            return;
        }

        var queue = new ConcurrentQueue<FolderWork>(work.OrderByDescending(w => w.ListedBytes > 0 ? w.ListedBytes : w.Folder.Count));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var extra = new List<PassLane>();
        try
        {
            while (extra.Count < lanes - 1)
            {
                try
                {
                    extra.Add(await OpenLane(abort));
                }
                catch (Exception e) when (e is MigrationSideException or IOException or ImapCommandException or ImapProtocolException)
                {
                    break; // a server that allows fewer connections: the pass goes on with the lanes it has
                }
            }
            var tasks = new[] { own }.Concat(extra).Select(lane => Task.Run(async () =>
            {
                try
                {
                    while (!stop.IsCancellationRequested && queue.TryDequeue(out var item))
                        await CopyAndRecordAsync(lane, ReferenceEquals(lane, own) ? item : await OnLaneAsync(lane, item, failed.Token), totals, stop, failed.Token);
                }
                catch
                {
                    await failed.CancelAsync();
                    throw;
                }
            })).ToList();
            try
            {
                await Task.WhenAll(tasks);
            }
            catch
            {
                // The first real fault, not the cancellations it caused in the other lanes.
                var faults = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToList();
                if (faults.FirstOrDefault(e => e is not OperationCanceledException) is { } fault)
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
                throw;
            }
        }
        finally
        {
            foreach (var lane in extra) await lane.DisposeAsync();
        }
    }

    /// <summary>The same folders as seen through another lane's connections (MailKit's folders belong to one client).</summary>
    private static async Task<FolderWork> OnLaneAsync(PassLane lane, FolderWork item, CancellationToken ct) => item with
    {
        Folder = await FolderAsync(lane.Source, item.Folder.FullName, ct),
        Target = await FolderAsync(lane.Destination, item.Target.FullName, ct),
    };

    private static async Task<IMailFolder> FolderAsync(IMailStore store, string path, CancellationToken ct) =>
        path.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? store.Inbox : await store.GetFolderAsync(path, ct);

    private async Task CopyAndRecordAsync(PassLane lane, FolderWork item, PassTotals totals, CancellationToken stop, CancellationToken abort)
    {
        var statistics = await CopyFolderAsync(lane, item.Folder, item.Target, item.Checkpoint, item.Status, item.ListedBytes, item.Retry, totals, stop, abort);
        if (statistics is null) return;
        lock (totals) totals.Statistics.Add(statistics);
        await checkpoints.SaveFolderAsync(statistics, abort);
    }

    internal static PassResult Result(PassTotals totals, bool stopped) =>
        new(totals.Folders, totals.Found, totals.Copied, totals.Bytes, totals.Skipped, totals.FailedMessages, stopped)
        {
            FolderStatistics = totals.Statistics,
            BytesFound = totals.BytesFound,
            Duration = totals.Clock.Elapsed,
            SizeMismatches = totals.SizeMismatches,
            NotKept = totals.NotKept,
            FoldersUnchanged = totals.FoldersUnchanged,
            FlagsUpdated = totals.FlagsUpdated,
            ThrottledWaits = totals.ThrottledWaits,
            ThrottledFor = totals.ThrottledFor,
            LastThrottling = totals.LastThrottling,
            Fallbacks = totals.Fallbacks,
            RenamedFolders = [.. totals.Renamed.Values],
            RateLimitedFor = (totals.MessageRate?.Waited ?? TimeSpan.Zero) + (totals.ByteRate?.Waited ?? TimeSpan.Zero),
        };

    internal sealed class PassTotals
    {
        public readonly Stopwatch Clock = Stopwatch.StartNew();
        public int Folders, FoldersUnchanged, Found, Copied, Skipped, SizeMismatches, FlagsUpdated;
        public long Bytes, BytesFound;
        public readonly List<FailedMessage> FailedMessages = [];
        public readonly List<FolderStatistics> Statistics = [];
        public readonly SortedSet<string> NotKept = new(StringComparer.Ordinal);
        public readonly HashSet<string> CompletedFolders = new(StringComparer.Ordinal);
        public IReadOnlyList<ExtensionFallback> Fallbacks = [];
        public readonly SortedDictionary<string, FolderRename> Renamed = new(StringComparer.Ordinal);

        public int ThrottledWaits;
        public TimeSpan ThrottledFor;
        public string? LastThrottling;

        /// <summary>The pass's rate limits, shared by its lanes and its attempts; null: none.</summary>
        public TransferRate? MessageRate, ByteRate;

        /// <summary>A folder a fault interrupted: what was copied and refused in it before, carried into the retry.</summary>
        public readonly Dictionary<string, (int Copied, long Bytes, int Failed)> Interrupted = new(StringComparer.Ordinal);
    }

    /// <summary>One batch as planned: the messages to append, and the highest source UID the batch settles.</summary>
    /// <param name="AdoptedCopies">Messages of the batch found already in the destination, and which destination message each is: part of the map.</param>
    private sealed record PlannedBatch(IReadOnlyList<PlannedMessage> ToAppend, int Adopted, long AdoptedBytes, uint Highest,
        IReadOnlyList<(uint Source, uint Destination)>? AdoptedCopies = null);

    /// <summary>
    /// What the pass keeps of a message it will copy, about 60 bytes. As MailKit's summaries (with a keyword set each),
    /// 20 mailboxes planning their largest folders at once held 740,000 of them, 230 MB (a gcdump of bench/imap.sh
    /// --scale's portal run).
    /// </summary>
    private readonly record struct PlannedMessage(uint Uid, long Size, MessageFlags Flags, IReadOnlyList<string> Keywords, DateTimeOffset? InternalDate)
    {
        public static PlannedMessage From(IMessageSummary summary) => new(summary.UniqueId.Id, (long)(summary.Size ?? 0),
            (summary.Flags ?? MessageFlags.None) & ~MessageFlags.Recent, summary.Keywords.Count == 0 ? [] : [.. summary.Keywords], summary.InternalDate);
    }

    private sealed record FetchedBatch(PlannedBatch Plan, IReadOnlyList<(PlannedMessage Message, MessageBuffer Body)> Messages, IDisposable? Budget)
        : IDisposable
    {
        public void Dispose()
        {
            foreach (var (_, body) in Messages) body.Dispose();
            Budget?.Dispose();
        }
    }

    /// <returns>The folder's statistics, or null when a Stop interrupted it.</returns>
    /// <param name="listedStatus">The folder's STATUS when it was listed; saved with the checkpoint once the folder is done.</param>
    /// <param name="listedBytes">The folder's size when it was listed (STATUS=SIZE), what its statistics count as found.</param>
    private async Task<FolderStatistics?> CopyFolderAsync(PassLane lane, IMailFolder folder, IMailFolder target, FolderCheckpoint? checkpoint,
        FolderStatus? listedStatus, long listedBytes, IReadOnlyList<FailedMessage>? retry, PassTotals totals, CancellationToken stop, CancellationToken abort)
    {
        var writer = await lane.WriterAsync(abort);
        var clock = Stopwatch.StartNew();
        var destinationFolder = await writer.SelectAsync(target.FullName, abort);
        await folder.OpenAsync(FolderAccess.ReadOnly, abort);
        try
        {
            // A new UIDVALIDITY on either side: the checkpoint's UIDs name other messages now. Copied as on a first
            // pass into this folder: what the destination holds is matched by identity and adopted, the rest copied.
            if (checkpoint is not null && (checkpoint.UidValidity != folder.UidValidity
                || (checkpoint.DestinationUidValidity is { } copiedInto && copiedInto != destinationFolder.UidValidity)))
                checkpoint = null;
            var after = checkpoint?.HighestCopiedUid ?? 0;
            var (plan, adoptedAsSkipped, skipped) = retry is not null
                ? (await PlanRetryAsync(folder, retry, abort), 0, 0)
                : await PlanAsync(folder, target, checkpoint, abort);

            // A Delta carries flag changes over once the new mail is in: CHANGEDSINCE the HIGHESTMODSEQ the folder was
            // finished at; without one (no CONDSTORE, or the last pass was interrupted) every copied message's flags are
            // compared. Until that is done the folder is not recorded as finished, or a crash in between would hide them.
            var syncedUpTo = retry is null && Options.Kind == PassKind.Delta && checkpoint is { HighestCopiedUid: > 0 } ? checkpoint.HighestCopiedUid : 0;
            var known = checkpoint?.SourceStatus?.HighestModSeq;
            var now = listedStatus?.HighestModSeq;
            var flagsPending = syncedUpTo > 0 && (known is null || now is null || now > known);

            (int, long, int) interrupted;
            lock (totals) interrupted = totals.Interrupted.GetValueOrDefault(folder.FullName);
            var (copiedBefore, bytesBefore, failedBefore) = interrupted;
            int found = folder.Count, copied = copiedBefore, failed = failedBefore;
            long bytesFound = listedBytes, bytes = bytesBefore;
            // What an interrupted attempt copied or saw refused is below the checkpoint now, not "already there".
            skipped = Math.Max(0, skipped + adoptedAsSkipped - copiedBefore - failedBefore);

            // Pre-Stage leaves later mail for a later pass: the checkpoint stays where it was, and its journal at the
            // destination's UIDNEXT before this pass, so the next pass adopts what Pre-Stage copied instead of copying it again.
            var preStage = Options.Kind == PassKind.PreStage;
            var keepCheckpoint = preStage || retry is not null;
            var journalUidNext = preStage && checkpoint?.HasJournal == true && checkpoint.JournalDestinationUidValidity == destinationFolder.UidValidity
                ? checkpoint.JournalDestinationUidNext!.Value
                : destinationFolder.UidNext;
            if (plan.Count > 0 && retry is null)
                await checkpoints.SaveAsync(new BatchProgress(Journal(folder, after, destinationFolder.UidValidity, journalUidNext), 0, 0), abort);

            using var pipeline = CancellationTokenSource.CreateLinkedTokenSource(abort);
            var channel = Channel.CreateBounded<FetchedBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
            var fetching = FetchAsync(folder, plan, channel.Writer, Budget, totals.MessageRate, totals.ByteRate, stop, pipeline.Token);
            var uidNext = destinationFolder.UidNext;
            var completed = 0;
            // A batch's checkpoint is written while the next batch goes out (write-behind), not between the two: the
            // portal's write is a database transaction, the CLI's an fsync'd file, and either would otherwise leave the
            // destination connection idle once per batch. At most one save is in flight, in batch order, and what it
            // records counts only once it is written. A crash before it is written leaves the previous checkpoint
            // with its journal at the destination's UIDNEXT before both batches, so the next attempt adopts them
            // from the destination (as after any crash in mid-batch) instead of copying them again.
            var saving = Task.CompletedTask;
            async Task SaveBatchAsync(BatchProgress progress, IReadOnlyList<FailedMessage> refused)
            {
                await checkpoints.SaveAsync(progress, abort);
                copied += progress.Messages;
                bytes += progress.Bytes;
                failed += refused.Count;
                lock (totals)
                {
                    totals.Copied += progress.Messages;
                    totals.Bytes += progress.Bytes;
                    totals.FailedMessages.AddRange(refused);
                    totals.Interrupted[folder.FullName] = (copied, bytes, failed);
                }
                if (refused.Count > 0 && TooManyRefused(totals)) await _ending!.CancelAsync();
            }
            try
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(pipeline.Token))
                {
                    using (batch)
                    {
                        // A save that already failed (the claim lost, the database gone) ends the copy before another batch goes out.
                        if (saving.IsFaulted || saving.IsCanceled) await saving;
                        var outcome = await AppendBatchAsync(writer, folder, target, destinationFolder, batch, totals, abort);
                        completed++;
                        if (outcome.LastUid is { } last) uidNext = Math.Max(uidNext, last + 1);
                        else if (!writer.UidPlus) uidNext = (await writer.SelectAsync(target.FullName, abort)).UidNext;
                        var highest = keepCheckpoint ? after : Math.Max(after, batch.Plan.Highest);
                        var more = completed < plan.Count && !stop.IsCancellationRequested;
                        var next = keepCheckpoint
                            ? retry is null ? Journal(folder, after, destinationFolder.UidValidity, journalUidNext) : checkpoint ?? new FolderCheckpoint(folder.FullName, folder.UidValidity, after)
                            : more ? Journal(folder, highest, destinationFolder.UidValidity, uidNext)
                            : new FolderCheckpoint(folder.FullName, folder.UidValidity, highest,
                                SourceStatus: completed == plan.Count && !flagsPending ? listedStatus : null,
                                DestinationUidValidity: destinationFolder.UidValidity);
                        var progress = new BatchProgress(next, outcome.Copied + batch.Plan.Adopted, outcome.Bytes + batch.Plan.AdoptedBytes,
                            outcome.Failed, outcome.Recovered(retry))
                        {
                            Copies = outcome.Copies(folder.UidValidity, destinationFolder.UidValidity, batch.Plan.AdoptedCopies),
                        };
                        await saving;
                        saving = SaveBatchAsync(progress, outcome.Failed);
                        after = highest;
                    }
                    if (stop.IsCancellationRequested) break;
                }
                await saving;
            }
            finally
            {
                await pipeline.CancelAsync();
                try
                {
                    await fetching;
                }
                catch (OperationCanceledException) when (pipeline.IsCancellationRequested)
                {
                }
                while (channel.Reader.TryRead(out var unused)) unused.Dispose();
                // The copy failed with a save still in flight: let it finish (the next attempt starts from what it
                // writes). The copy's own failure is the one that goes on; the save's, if any, is a consequence of it.
                if (!saving.IsCompleted)
                {
                    try
                    {
                        await saving;
                    }
                    catch (Exception)
                    {
                    }
                }
            }
            if (stop.IsCancellationRequested && completed < plan.Count) return null;
            if (flagsPending)
            {
                var updated = await SyncFlagsAsync(folder, target, syncedUpTo, known is not null && now is not null ? (ulong)known : null, totals, abort);
                lock (totals) totals.FlagsUpdated += updated;
            }
            var done = new FolderCheckpoint(folder.FullName, folder.UidValidity, after, SourceStatus: listedStatus,
                DestinationUidValidity: keepCheckpoint ? checkpoint?.DestinationUidValidity : destinationFolder.UidValidity);
            if (!keepCheckpoint && (flagsPending || (plan.Count == 0 && checkpoint != done)))
                await checkpoints.SaveAsync(new BatchProgress(done, 0, 0), abort);
            lock (totals)
            {
                totals.Interrupted.Remove(folder.FullName);
                totals.CompletedFolders.Add(folder.FullName);
                totals.Folders++;
                totals.Found += found;
                totals.Skipped += skipped;
            }
            return new FolderStatistics(folder.FullName, target.FullName, found, bytesFound, copied, bytes, skipped, failed, clock.Elapsed);
        }
        finally
        {
            // A source connection that broke (in mid-FETCH, say) has already closed the folder: CLOSE would throw "not
            // connected" and hide the fault being thrown, so the retry and the admin's log would name a consequence.
            if (folder.IsOpen) await folder.CloseAsync(false, abort);
        }
    }

    /// <summary>
    /// A Delta carries over flag and keyword changes made on the source to messages copied by earlier passes. Each
    /// changed message's copy is found through the map of copied messages (the destination UID its APPENDUID named),
    /// which tells even two identical messages' copies apart; one the map does not have (copied before it was kept,
    /// adopted after a crash, found already there, or by a destination without UIDPLUS) is found by the identity
    /// adoption uses (Message-ID, date, size; the bytes' hash for look-alikes). Only what differs is stored, and only
    /// flags the destination folder keeps (its PERMANENTFLAGS); a message no longer in the destination is left alone.
    /// </summary>
    /// <param name="changedSince">CONDSTORE's CHANGEDSINCE; null compares every copied message.</param>
    /// <returns>How many destination messages had their flags changed.</returns>
    private async Task<int> SyncFlagsAsync(IMailFolder folder, IMailFolder target, uint highestCopied, ulong? changedSince,
        PassTotals totals, CancellationToken ct)
    {
        var flagItems = MessageSummaryItems.UniqueId | MessageSummaryItems.Flags;
        var range = new UniqueIdRange(new UniqueId(folder.UidValidity, 1), new UniqueId(folder.UidValidity, highestCopied));
        var changed = folder.Count == 0 ? [] : await folder.FetchAsync(range, new FetchRequest(flagItems) { ChangedSince = changedSince }, ct);
        if (changed.Count == 0) return 0;

        await target.OpenAsync(FolderAccess.ReadWrite, ct);
        try
        {
            if (target.Count == 0) return 0;
            var map = await checkpoints.GetCopiesAsync(folder.FullName, folder.UidValidity, target.UidValidity, ct);
            var copiesOf = new List<(IMessageSummary Message, IReadOnlyList<IMessageSummary> Copies)>();

            var mapped = changed.Where(c => map.ContainsKey(c.UniqueId.Id)).ToList();
            if (mapped.Count > 0)
            {
                var there = (await target.FetchAsync([.. mapped.Select(c => new UniqueId(target.UidValidity, map[c.UniqueId.Id]))], new FetchRequest(flagItems), ct))
                    .ToDictionary(d => d.UniqueId.Id);
                foreach (var message in mapped)
                    copiesOf.Add((message, there.TryGetValue(map[message.UniqueId.Id], out var copy) ? [copy] : []));
            }

            var unmapped = changed.Where(c => !map.ContainsKey(c.UniqueId.Id)).Select(c => c.UniqueId).ToList();
            if (unmapped.Count > 0)
            {
                var identified = await SummariesAsync(folder, unmapped, ct);
                // Copies the map names belong to their own source messages, never to a look-alike's.
                var mappedCopies = map.Values.ToHashSet();
                var there = (await target.FetchAsync(0, -1, IdentityRequest, ct))
                    .Where(d => !mappedCopies.Contains(d.UniqueId.Id)).ToLookup(Key);
                var lookAlikes = identified.Where(c => there[Key(c)].Count() > 1).ToList();
                var sourceHashes = await HashesAsync(folder, lookAlikes, ct);
                var destinationHashes = await HashesAsync(target, [.. lookAlikes.SelectMany(c => there[Key(c)]).DistinctBy(d => d.UniqueId.Id)], ct);
                foreach (var message in identified)
                {
                    var copies = there[Key(message)].ToList();
                    if (copies.Count > 1)
                        copies = [.. copies.Where(d => destinationHashes.GetValueOrDefault(d.UniqueId.Id) == sourceHashes.GetValueOrDefault(message.UniqueId.Id))];
                    copiesOf.Add((message, copies));
                }
            }

            var updates = new Dictionary<(MessageFlags Flags, string Keywords), List<UniqueId>>();
            foreach (var (message, copies) in copiesOf)
            {
                var flags = (message.Flags ?? MessageFlags.None) & ~MessageFlags.Recent;
                var kept = flags & target.PermanentFlags;
                var keywords = message.Keywords.Where(k => target.PermanentFlags.HasFlag(MessageFlags.UserDefined) || target.PermanentKeywords.Contains(k))
                    .Order(StringComparer.Ordinal).ToList();
                lock (totals)
                    foreach (var lost in message.Keywords.Except(keywords)) totals.NotKept.Add(lost);
                foreach (var copy in copies)
                {
                    var current = (copy.Flags ?? MessageFlags.None) & ~MessageFlags.Recent & target.PermanentFlags;
                    if (current == kept && copy.Keywords.Order(StringComparer.Ordinal).SequenceEqual(keywords)) continue;
                    var key = (kept, string.Join(' ', keywords));
                    if (!updates.TryGetValue(key, out var uids)) updates[key] = uids = [];
                    uids.Add(copy.UniqueId);
                }
            }
            foreach (var ((flags, keywords), uids) in updates)
            {
                var wanted = keywords.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                try
                {
                    await target.StoreAsync(uids, Store(flags, wanted), ct);
                }
                catch (ImapCommandException e) when (e.Response == ImapCommandResponse.No && wanted.Length > 0)
                {
                    // Refused for a keyword it would not create after all (as APPEND can be: see AppendWriter): the
                    // flags and the keywords the folder already has are set, the others reported as not kept.
                    var known = wanted.Where(target.PermanentKeywords.Contains).ToArray();
                    await target.StoreAsync(uids, Store(flags, known), ct);
                    lock (totals)
                        foreach (var lost in wanted.Except(known)) totals.NotKept.Add(lost);
                }
            }
            return updates.Values.Sum(u => u.Count);
        }
        finally
        {
            // As for the source folder in CopyFolderAsync: a broken destination connection has closed it already.
            if (target.IsOpen) await target.CloseAsync(false, ct);
        }
    }

    private static StoreFlagsRequest Store(MessageFlags flags, IEnumerable<string> keywords)
    {
        var request = new StoreFlagsRequest(StoreAction.Set, flags) { Silent = true };
        foreach (var keyword in keywords) request.Keywords.Add(keyword);
        return request;
    }

    private static FolderCheckpoint Journal(IMailFolder folder, uint highest, uint destinationUidValidity, uint destinationUidNext) =>
        new(folder.FullName, folder.UidValidity, highest, destinationUidValidity, destinationUidNext, DestinationUidValidity: destinationUidValidity);

    /// <summary>
    /// What this folder still needs, in batches. Destination messages that may already be copies of source messages the
    /// checkpoint does not count are adopted instead of appended: after a crash in mid-batch, those appended since the
    /// journal (this pass's work, counted as copied); after the source's UIDVALIDITY changed, or on a first pass into a
    /// folder that is not empty, all of them (already there, counted as skipped). Matched by Message-ID and INTERNALDATE,
    /// never by headers alone; identical twins are a multiset, each adopted once.
    /// </summary>
    private async Task<(IReadOnlyList<PlannedBatch> Plan, int AdoptedAsSkipped, int Skipped)> PlanAsync(
        IMailFolder folder, IMailFolder target, FolderCheckpoint? checkpoint, CancellationToken ct)
    {
        var adoptAsCopied = checkpoint is { HasJournal: true };
        // Only a journal or a first look at a folder that is not empty can find copies already there; otherwise the
        // plan needs no Message-IDs, which for a large folder is most of what its metadata would weigh.
        var mayAdopt = adoptAsCopied;
        if (checkpoint is null)
        {
            await target.StatusAsync(StatusItems.Count, ct);
            mayAdopt = target.Count > 0;
        }
        var after = checkpoint?.HighestCopiedUid ?? 0;
        var pending = folder.Count == 0 ? []
            : (await folder.SearchAsync(SearchQuery.Uids(new UniqueIdRange(new UniqueId(folder.UidValidity, after + 1), UniqueId.MaxValue)), ct))
                .Where(u => u.Id > after).OrderBy(u => u.Id).ToList();
        var skipped = folder.Count - pending.Count;
        IList<IMessageSummary>? todo = null;
        var (adoptable, sourceHashes) = (new Multiset(), new Dictionary<uint, string>());
        if (mayAdopt)
        {
            // Matching needs every pending message's identity at once (how many share one); the rare case.
            todo = [.. (await SummariesAsync(folder, pending, ct)).OrderBy(s => s.UniqueId.Id)];
            (adoptable, sourceHashes) = adoptAsCopied
                ? await AdoptableAsync(folder, target, todo, checkpoint!.JournalDestinationUidValidity, checkpoint.JournalDestinationUidNext!.Value, ct)
                : await AdoptableAsync(folder, target, todo, null, 1, ct);
        }

        var plan = new List<PlannedBatch>();
        var adoptedAsSkipped = 0;
        var batch = new List<PlannedMessage>();
        var adoptedCopies = new List<(uint Source, uint Destination)>();
        int adopted = 0;
        long batchBytes = 0, adoptedBytes = 0;
        uint highest = after;
        await foreach (var summary in InChunksAsync(folder, pending, todo, ct))
        {
            if (Options.Kind == PassKind.PreStage && Options.PreStageBefore is { } before && summary.InternalDate is { } date && date >= before)
                continue;
            if (adoptable.Count > 0 && adoptable.Remove(Identity(summary, sourceHashes.GetValueOrDefault(summary.UniqueId.Id)), out var copy))
            {
                adoptedCopies.Add((summary.UniqueId.Id, copy));
                if (adoptAsCopied)
                {
                    adopted++;
                    adoptedBytes += summary.Size ?? 0;
                }
                else
                {
                    adoptedAsSkipped++;
                }
            }
            else
            {
                if (batch.Count > 0 && (batch.Count >= PacedBatchSize || batchBytes + (summary.Size ?? 0) > PacedBatchBytes))
                {
                    plan.Add(new PlannedBatch(batch, adopted, adoptedBytes, highest, adoptedCopies));
                    (batch, adopted, adoptedBytes, batchBytes, adoptedCopies) = ([], 0, 0, 0, []);
                }
                batch.Add(PlannedMessage.From(summary));
                batchBytes += summary.Size ?? 0;
            }
            highest = summary.UniqueId.Id;
        }
        if (batch.Count > 0 || adopted > 0 || highest > after)
            plan.Add(new PlannedBatch(batch, adopted, adoptedBytes, highest, adoptedCopies));
        return (plan, adoptedAsSkipped, skipped);
    }

    /// <summary>The summaries fetched for matching, or those of <paramref name="pending"/> fetched a chunk at a time, in UID order.</summary>
    private async IAsyncEnumerable<IMessageSummary> InChunksAsync(IMailFolder folder, List<UniqueId> pending, IList<IMessageSummary>? fetched,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (fetched is not null)
        {
            foreach (var summary in fetched) yield return summary;
            yield break;
        }
        for (var i = 0; i < pending.Count; i += PlanChunk)
            foreach (var summary in (await SummariesAsync(folder, pending.GetRange(i, Math.Min(PlanChunk, pending.Count - i)), ct, withIdentity: false))
                .OrderBy(s => s.UniqueId.Id))
                yield return summary;
    }


    /// <summary>Retry Errors: the folder's failed messages that are still on the source, in batches.</summary>
    private async Task<IReadOnlyList<PlannedBatch>> PlanRetryAsync(IMailFolder folder, IReadOnlyList<FailedMessage> failed, CancellationToken ct)
    {
        var uids = failed.Select(f => new UniqueId(folder.UidValidity, f.Uid)).Distinct().ToList();
        var summaries = await SummariesAsync(folder, uids, ct);
        return [.. summaries.OrderBy(s => s.UniqueId.Id).Select(PlannedMessage.From).Chunk(PacedBatchSize).Select(c => new PlannedBatch(c, 0, 0, c[^1].Uid))];
    }

    /// <param name="withIdentity">Also the Message-ID header, which matching copies already in the destination needs.</param>
    private static async Task<IList<IMessageSummary>> SummariesAsync(IMailFolder folder, IList<UniqueId> uids, CancellationToken ct, bool withIdentity = true)
    {
        if (folder.Count == 0 || uids.Count == 0) return [];
        return await folder.FetchAsync(uids, withIdentity ? IdentityRequest : new FetchRequest(SummaryItems), ct);
    }

    private const MessageSummaryItems SummaryItems =
        MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size;

    /// <summary>What a message is copied with, and what <see cref="Key"/> tells it by (the Message-ID header besides).</summary>
    private static FetchRequest IdentityRequest => new(SummaryItems, [HeaderId.MessageId]);

    /// <summary>The pipeline's source side: fetches each planned batch's bodies while the previous batch is appended.</summary>
    /// <param name="messageRate">Paces the bodies fetched, all lanes together (null: no limit); bytes by the sizes the plan knows.</param>
    private static async Task FetchAsync(IMailFolder folder, IReadOnlyList<PlannedBatch> plan, ChannelWriter<FetchedBatch> output,
        BufferBudget? budget, TransferRate? messageRate, TransferRate? byteRate, CancellationToken stop, CancellationToken ct)
    {
        try
        {
            foreach (var batch in plan)
            {
                if (stop.IsCancellationRequested) break;
                // Paced before the FETCH is sent, and before the budget is taken: a pass waiting on its rate holds no memory.
                if (messageRate is not null) await messageRate.TakeAsync(batch.ToAppend.Count, ct);
                if (byteRate is not null) await byteRate.TakeAsync(batch.ToAppend.Sum(m => m.Size), ct);
                var lease = budget is null || batch.ToAppend.Count == 0
                    ? null
                    : await budget.AcquireAsync(batch.ToAppend.Sum(m => MessageBuffer.Footprint(m.Size)), ct);
                Dictionary<uint, MessageBuffer> bodies;
                try
                {
                    bodies = await FetchBodiesAsync(folder, [.. batch.ToAppend.Select(m => m.Uid)], ct);
                }
                catch
                {
                    lease?.Dispose();
                    throw;
                }
                var fetched = new FetchedBatch(batch, [.. batch.ToAppend.Where(m => bodies.ContainsKey(m.Uid)).Select(m => (m, bodies[m.Uid]))], lease);
                try
                {
                    await output.WriteAsync(fetched, ct);
                }
                catch
                {
                    fetched.Dispose();
                    throw;
                }
            }
        }
        finally
        {
            output.TryComplete();
        }
    }

    /// <summary>The exact bytes (BODY.PEEK[]) of each message; one that vanished from the source meanwhile is left out.</summary>
    private static async Task<Dictionary<uint, MessageBuffer>> FetchBodiesAsync(IMailFolder folder, IReadOnlyList<uint> uids, CancellationToken ct)
    {
        var bodies = new Dictionary<uint, MessageBuffer>();
        try
        {
            await ForEachBodyAsync(folder, uids, (uid, stream) => bodies[uid] = PooledImapClient.TakeBuffer(stream) ?? Copy(stream), ct);
            return bodies;
        }
        catch
        {
            foreach (var body in bodies.Values) body.Dispose();
            throw;
        }

        static MessageBuffer Copy(Stream stream)
        {
            var buffer = MessageBuffer.Pool.GetStream("copy");
            stream.CopyTo(buffer);
            buffer.Position = 0;
            return new MessageBuffer(buffer);
        }
    }

    /// <summary>
    /// Hands each message's exact bytes (BODY.PEEK[]) to <paramref name="take"/>, one at a time: in one UID FETCH through
    /// MailKit's GetStreamsAsync on an IMAP folder, one GetStreamAsync per message on any other store.
    /// </summary>
    private static async Task ForEachBodyAsync(IMailFolder folder, IReadOnlyList<uint> messages, Action<uint, Stream> take, CancellationToken ct)
    {
        if (messages.Count == 0) return;
        var uids = messages.Select(uid => new UniqueId(folder.UidValidity, uid)).ToList();
        if (folder is IImapFolder imap)
        {
            await imap.GetStreamsAsync(uids, (_, _, uid, stream, _) =>
            {
                take(uid.Id, stream);
                return Task.CompletedTask;
            }, ct);
            return;
        }
        foreach (var uid in uids)
        {
            await using var stream = await folder.GetStreamAsync(uid, "", ct);
            take(uid.Id, stream);
        }
    }

    private sealed record BatchOutcome(int Copied, long Bytes, uint? LastUid, IReadOnlyList<FailedMessage> Failed, IReadOnlyList<uint> Appended,
        IReadOnlyList<(uint Source, uint Destination)> Pairs)
    {
        /// <summary>
        /// The batch's part of the map of copied messages: what it appended (none when the destination does not answer
        /// APPENDUID) and what it adopted.
        /// </summary>
        public CopiedMessages? Copies(uint sourceUidValidity, uint destinationUidValidity, IReadOnlyList<(uint Source, uint Destination)>? adopted)
        {
            var pairs = Pairs.Concat(adopted ?? []).OrderBy(p => p.Source).ToList();
            return pairs.Count == 0 ? null
                : new CopiedMessages(sourceUidValidity, destinationUidValidity, [.. pairs.Select(p => p.Source)], [.. pairs.Select(p => p.Destination)]);
        }

        public IReadOnlyList<FailedMessage>? Recovered(IReadOnlyList<FailedMessage>? retry) =>
            retry is null ? null : [.. retry.Where(f => Appended.Contains(f.Uid))];
    }

    private static async Task<BatchOutcome> AppendBatchAsync(AppendWriter writer, IMailFolder folder, IMailFolder target, DestinationFolder destinationFolder,
        FetchedBatch batch, PassTotals totals, CancellationToken ct)
    {
        var items = batch.Messages.Select(m => new AppendItem(m.Body, m.Message.Flags, m.Message.Keywords, m.Message.InternalDate)).ToList();
        lock (totals)
            foreach (var item in items)
                foreach (var lost in AppendWriter.NotKept(item, destinationFolder))
                    totals.NotKept.Add(lost);
        var outcomes = await writer.AppendAsync(destinationFolder, items, ct);

        int copied = 0;
        long bytes = 0;
        uint? last = null;
        var failed = new List<FailedMessage>();
        var appended = new List<uint>();
        var stored = new Dictionary<uint, MessageBuffer>();
        var pairs = new List<(uint, uint)>();
        for (var i = 0; i < items.Count; i++)
        {
            var (message, body) = batch.Messages[i];
            if (outcomes[i].Appended)
            {
                if (outcomes[i].KeywordsDropped is { } dropped)
                    lock (totals)
                        foreach (var keyword in dropped) totals.NotKept.Add(keyword);
                copied++;
                bytes += body.Length;
                appended.Add(message.Uid);
                if (outcomes[i].Uid is { } uid)
                {
                    stored[uid] = body;
                    pairs.Add((message.Uid, uid));
                    last = Math.Max(last ?? 0, uid);
                }
            }
            else
            {
                failed.Add(new FailedMessage(folder.FullName, message.Uid, Subject(body), body.Length, outcomes[i].Refusal!));
            }
        }
        if (stored.Count > 0)
        {
            var changed = await ChangedCopiesAsync(writer, target, destinationFolder.UidValidity, stored, ct);
            lock (totals) totals.SizeMismatches += changed;
        }
        return new BatchOutcome(copied, bytes, last, failed, appended, pairs);
    }

    /// <summary>
    /// How many of the appended messages the destination stored other than sent. Every copy's RFC822.SIZE is checked
    /// against the bytes sent. A rewrite of the same length shows in no size: Cyrus by default replaces each byte of raw
    /// 8-bit header text with "X" (munge8bit), which makes a UTF-8 subject unreadable. So the copies of messages with such
    /// headers (rare but for internationalised mail) are read back and compared by SHA-256.
    /// </summary>
    private static async Task<int> ChangedCopiesAsync(AppendWriter writer, IMailFolder target, uint uidValidity, Dictionary<uint, MessageBuffer> stored,
        CancellationToken ct)
    {
        var sizes = await writer.FetchSizesAsync(stored.Keys, ct);
        var changed = 0;
        var readBack = new List<uint>();
        foreach (var (uid, body) in stored)
        {
            if (!sizes.TryGetValue(uid, out var size) || size != body.Length)
                changed++;
            else if (MessageBytes.HasEightBitHeader(body.Bytes))
                readBack.Add(uid);
        }
        if (readBack.Count == 0) return changed;
        await target.OpenAsync(FolderAccess.ReadOnly, ct);
        try
        {
            if (target.UidValidity != uidValidity) return changed;
            var hashes = await HashesAsync(target, readBack, ct);
            return changed + readBack.Count(uid => !hashes.TryGetValue(uid, out var hash) || hash != MessageBytes.Sha256(stored[uid].Bytes));
        }
        finally
        {
            if (target.IsOpen) await target.CloseAsync(false, ct);
        }
    }

    /// <summary>The subject of a refused message, for the admin's list; read from its own header, since only refusals need it.</summary>
    private static string? Subject(MessageBuffer body)
    {
        try
        {
            var bytes = body.Bytes;
            using var stream = new MemoryStream(System.Buffers.BuffersExtensions.ToArray(bytes.Length > 64 * 1024 ? bytes.Slice(0, 64 * 1024) : bytes));
            return HeaderList.Load(stream)[HeaderId.Subject];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// What makes two messages the same message: Message-ID, INTERNALDATE and size, and where those are not enough (no
    /// Message-ID, or several source messages share them) the SHA-256 of the bytes. Never headers alone: two distinct
    /// messages with the same Message-ID and date (a resent message, a list's copy) differ in size or bytes.
    /// </summary>
    private readonly record struct MessageIdentity(string MessageId, long InternalDate, long Size, string? Sha256);

    private static MessageIdentity Key(IMessageSummary summary) =>
        new(summary.Headers?[HeaderId.MessageId]?.Trim() ?? "", summary.InternalDate?.UtcTicks ?? 0, (long)(summary.Size ?? 0), null);

    private static MessageIdentity Identity(IMessageSummary summary, string? sha256) => Key(summary) with { Sha256 = sha256 };

    /// <summary>
    /// The destination messages (from <paramref name="fromUid"/> on) that may be copies of the source's <paramref name="todo"/>,
    /// as a multiset of identities, and the content hash of each source message whose Message-ID, date and size are
    /// not enough to tell it apart: identical twins stay a multiset (each adopted once), distinct look-alikes are
    /// told apart by their bytes.
    /// </summary>
    /// <param name="expectedUidValidity">When given, a destination folder with another UIDVALIDITY offers nothing.</param>
    private static async Task<(Multiset Adoptable, Dictionary<uint, string> SourceHashes)> AdoptableAsync(IMailFolder source, IMailFolder target,
        IList<IMessageSummary> todo, uint? expectedUidValidity, uint fromUid, CancellationToken ct)
    {
        List<IMessageSummary> found;
        await target.OpenAsync(FolderAccess.ReadOnly, ct);
        try
        {
            if (todo.Count == 0 || target.Count == 0 || (expectedUidValidity is { } v && target.UidValidity != v)) return (new Multiset(), []);
            var since = new UniqueIdRange(new UniqueId(target.UidValidity, Math.Max(1, fromUid)), UniqueId.MaxValue);
            found = [.. (await target.FetchAsync(since, new FetchRequest(
                MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate | MessageSummaryItems.Size, [HeaderId.MessageId]), ct))
                .Where(s => s.UniqueId.Id >= fromUid).OrderBy(s => s.UniqueId.Id)];

            // Ambiguous: a key the destination has, and that has no Message-ID or more than one source message.
            var inDestination = found.Select(Key).ToHashSet();
            var ambiguous = todo.GroupBy(Key).Where(g => inDestination.Contains(g.Key) && (g.Key.MessageId.Length == 0 || g.Count() > 1))
                .Select(g => g.Key).ToHashSet();
            var destinationHashes = await HashesAsync(target, [.. found.Where(s => ambiguous.Contains(Key(s)))], ct);
            var set = new Multiset();
            foreach (var summary in found)
                set.Add(Identity(summary, destinationHashes.GetValueOrDefault(summary.UniqueId.Id)), summary.UniqueId.Id);
            if (ambiguous.Count == 0) return (set, []);
            await target.CloseAsync(false, ct);
            // The source folder stays open (EXAMINE) on its own connection: its look-alikes are hashed the same way.
            return (set, await HashesAsync(source, [.. todo.Where(s => ambiguous.Contains(Key(s)))], ct));
        }
        finally
        {
            if (target.IsOpen) await target.CloseAsync(false, ct);
        }
    }

    /// <summary>The SHA-256 of each message's exact bytes (BODY.PEEK[]), streamed: one message in memory at a time.</summary>
    private static Task<Dictionary<uint, string>> HashesAsync(IMailFolder folder, IReadOnlyList<IMessageSummary> summaries, CancellationToken ct) =>
        HashesAsync(folder, [.. summaries.Select(s => s.UniqueId.Id)], ct);

    /// <summary>The SHA-256 of each message's bytes, by UID, in one FETCH.</summary>
    private static async Task<Dictionary<uint, string>> HashesAsync(IMailFolder folder, IReadOnlyList<uint> uids, CancellationToken ct)
    {
        var hashes = new Dictionary<uint, string>();
        await ForEachBodyAsync(folder, uids, (uid, stream) => hashes[uid] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream)), ct);
        return hashes;
    }

    /// <summary>
    /// Destination messages by identity, each identity with the UIDs of its copies in UID order: identical twins are
    /// adopted one each, the first source twin taking the first copy, as they were appended.
    /// </summary>
    private sealed class Multiset
    {
        private readonly Dictionary<MessageIdentity, Queue<uint>> _copies = [];
        public int Count { get; private set; }

        public void Add(MessageIdentity key, uint uid)
        {
            if (!_copies.TryGetValue(key, out var uids)) _copies[key] = uids = new Queue<uint>();
            uids.Enqueue(uid);
            Count++;
        }

        public bool Remove(MessageIdentity key, out uint uid)
        {
            uid = 0;
            if (!_copies.TryGetValue(key, out var uids)) return false;
            uid = uids.Dequeue();
            if (uids.Count == 0) _copies.Remove(key);
            Count--;
            return true;
        }
    }

    private static readonly (FolderAttributes Use, SpecialFolder Role)[] SpecialUses =
    [
        (FolderAttributes.Sent, SpecialFolder.Sent), (FolderAttributes.Drafts, SpecialFolder.Drafts), (FolderAttributes.Trash, SpecialFolder.Trash),
        (FolderAttributes.Junk, SpecialFolder.Junk), (FolderAttributes.Archive, SpecialFolder.Archive),
    ];

    private static ImapCapabilities Capabilities(IMailStore store) => store is ImapClient client ? client.Capabilities : ImapCapabilities.None;

    private static bool HasSpecialUse(ImapCapabilities capabilities) => (capabilities & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) != 0;

    /// <summary>The folder's SPECIAL-USE role (RFC 6154), if the server gave it one.</summary>
    private static SpecialFolder? SpecialUse(IMailFolder folder) =>
        SpecialUses.Where(s => folder.Attributes.HasFlag(s.Use)).Select(s => (SpecialFolder?)s.Role).FirstOrDefault();

    /// <summary>
    /// The role of each source folder that has one: its SPECIAL-USE attribute, or on a server without SPECIAL-USE (Courier)
    /// the usual name of a top-level folder ("Sent Items", "Deleted Messages"). One folder per role, the first by name,
    /// so two sent folders of an old account are not merged into one.
    /// </summary>
    private Dictionary<string, SpecialFolder> Roles(IReadOnlyList<IMailFolder> folders, ImapCapabilities capabilities)
    {
        var roles = new Dictionary<string, SpecialFolder>(StringComparer.Ordinal);
        var taken = new HashSet<SpecialFolder>();
        var byName = !HasSpecialUse(capabilities);
        foreach (var folder in folders)
        {
            var levels = Levels(source, folder);
            var role = byName ? levels.Length == 1 && !IsInbox(folder) ? ServerDifferences.RoleByName(levels[0]) : null : SpecialUse(folder);
            if (role is { } found && taken.Add(found)) roles[folder.FullName] = found;
        }
        return roles;
    }

    private static bool IsInbox(IMailFolder folder) => folder.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The destination's own folder for each role, so "Sent Items" on the source lands in the destination's "Sent"
    /// (or whatever it calls it) instead of a second sent folder the mail client does not use. A destination without
    /// SPECIAL-USE has its special folders found by their usual names at the top level.
    /// </summary>
    private static async Task<Dictionary<SpecialFolder, IMailFolder>> SpecialUseFoldersAsync(IMailStore store, CancellationToken ct)
    {
        var map = new Dictionary<SpecialFolder, IMailFolder>();
        // MailKit asked the server for them when it logged in (LIST (SPECIAL-USE), or XLIST): listing the whole tree
        // again would be the one destination round trip of a no-change Delta, and on a large tree not a short one.
        if (HasSpecialUse(Capabilities(store)))
        {
            foreach (var (_, role) in SpecialUses)
                if (store.GetFolder(role) is { } folder && !folder.Attributes.HasFlag(FolderAttributes.NonExistent))
                    map[role] = folder;
            return map;
        }
        var personal = store.PersonalNamespaces[0];
        foreach (var folder in await store.GetFoldersAsync(personal, subscribedOnly: false, ct))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NonExistent) || folder.Attributes.HasFlag(FolderAttributes.NoSelect)) continue;
            var levels = Levels(store, folder);
            if (levels.Length == 1 && !IsInbox(folder) && ServerDifferences.RoleByName(levels[0]) is { } role)
                map.TryAdd(role, folder);
        }
        return map;
    }

    /// <summary>
    /// The UIDVALIDITY of every destination folder by its full name: one LIST-STATUS where the server offers it (RFC 5819),
    /// else one STATUS per folder. What a Delta compares with the folder its copies went into.
    /// </summary>
    private static async Task<Dictionary<string, uint>> DestinationUidValiditiesAsync(IMailStore store, CancellationToken ct)
    {
        var folders = await store.GetFoldersAsync(store.PersonalNamespaces[0], StatusItems.UidValidity, subscribedOnly: false, ct);
        var byName = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var folder in folders)
            if (!folder.Attributes.HasFlag(FolderAttributes.NoSelect) && !folder.Attributes.HasFlag(FolderAttributes.NonExistent) && folder.UidValidity != 0)
                byName[folder.FullName] = folder.UidValidity;
        // The LIST of the personal namespace leaves INBOX out on some servers.
        if (!byName.ContainsKey(store.Inbox.FullName))
        {
            await store.Inbox.StatusAsync(StatusItems.UidValidity, ct);
            byName[store.Inbox.FullName] = store.Inbox.UidValidity;
        }
        return byName;
    }

    /// <summary>The STATUS a folder was listed with, or null when the server left out UIDNEXT (then it is never skipped).</summary>
    private static FolderStatus? ListedStatus(IMailFolder folder) =>
        folder.UidNext is { } next
            ? new FolderStatus(next.Id, folder.Count, folder.HighestModSeq > 0 ? (long)Math.Min(folder.HighestModSeq, long.MaxValue) : null)
            : null;

    /// <summary>The source folder's path in the destination's hierarchy, as <see cref="EnsureFolderAsync"/> would create it.</summary>
    private string DestinationPath(IMailFolder folder)
    {
        if (folder.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) return destination.Inbox.FullName;
        var personal = destination.PersonalNamespaces[0];
        var path = string.Join(personal.DirectorySeparator,
            Levels(source, folder).Select(level => ServerDifferences.WithoutDelimiter(level, personal.DirectorySeparator) ?? level));
        var prefix = personal.Path.TrimEnd(personal.DirectorySeparator);
        return prefix.Length == 0 ? path : prefix + personal.DirectorySeparator + path;
    }

    /// <summary>
    /// A folder's levels below its server's personal namespace: Cyrus's and Courier's "INBOX.Projects.2026" and Dovecot's
    /// "Projects/2026" are both [Projects, 2026], so a folder lands where the user sees it on the other kind of server
    /// rather than under a folder named after the source's prefix.
    /// </summary>
    private static string[] Levels(IMailStore store, IMailFolder folder)
    {
        var personal = store.PersonalNamespaces[0];
        var prefix = personal.Path.TrimEnd(personal.DirectorySeparator);
        var name = folder.FullName;
        // INBOX is case-insensitive (RFC 3501 5.1), and so is a namespace named after it.
        var comparison = prefix.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (prefix.Length > 0 && name.Length > prefix.Length + 1 && name.StartsWith(prefix, comparison) && name[prefix.Length] == folder.DirectorySeparator)
            name = name[(prefix.Length + 1)..];
        return name.Split(folder.DirectorySeparator);
    }

    /// <summary>
    /// Every selectable folder of the personal namespace, INBOX first, parents before children, with its message count
    /// and size (one LIST-STATUS where the server offers it, else a STATUS per folder), and HIGHESTMODSEQ where the
    /// server has CONDSTORE, so a Delta can tell a folder whose flags changed from one that did not change at all.
    /// </summary>
    private static async Task<IReadOnlyList<IMailFolder>> ListAsync(IMailStore store, CancellationToken ct)
    {
        var items = StatusItems.Count | StatusItems.UidNext | StatusItems.UidValidity;
        if (store is ImapClient { Capabilities: var caps })
        {
            if (caps.HasFlag(ImapCapabilities.StatusSize)) items |= StatusItems.Size;
            if (caps.HasFlag(ImapCapabilities.CondStore)) items |= StatusItems.HighestModSeq;
        }
        var all = await store.GetFoldersAsync(store.PersonalNamespaces[0], items, subscribedOnly: false, ct);
        var selectable = all.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent)).ToList();
        if (!selectable.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
        {
            await store.Inbox.StatusAsync(items, ct);
            selectable.Insert(0, store.Inbox);
        }
        return selectable.OrderBy(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(f => f.FullName, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The destination folder of the same path, in the destination's delimiter, created level by level when missing. A
    /// level the destination cannot have is renamed by one rule (<see cref="ServerDifferences"/>) and the rename is
    /// reported with the pass: its delimiter inside a name, or characters the server refused. A special folder the
    /// destination does not have yet is created with its role where the server takes one (CREATE-SPECIAL-USE,
    /// RFC 6154), so the user's mail client finds it.
    /// </summary>
    private async Task<IMailFolder> EnsureFolderAsync(IMailFolder folder, SpecialFolder? role, ImapCapabilities capabilities, PassTotals totals,
        CancellationToken ct)
    {
        if (IsInbox(folder)) return destination.Inbox;
        var levels = Levels(source, folder);
        var personal = destination.PersonalNamespaces[0];
        IMailFolder parent = destination.GetFolder(personal)
            ?? throw new InvalidOperationException("The destination has no personal namespace.");
        var names = new List<string>();
        var reasons = new List<string>();
        for (var i = 0; i < levels.Length; i++)
        {
            var name = levels[i];
            if (ServerDifferences.WithoutDelimiter(name, personal.DirectorySeparator) is { } whole)
            {
                reasons.Add($"the destination separates folder levels with '{personal.DirectorySeparator}'");
                name = whole;
            }
            var children = await parent.GetSubfoldersAsync(false, ct);
            var use = i == levels.Length - 1 ? role : null;
            var existing = children.FirstOrDefault(f => f.Name == name);
            if (existing is null)
            {
                try
                {
                    existing = await CreateAsync(parent, name, use, capabilities, ct);
                }
                catch (ImapCommandException e) when (e.Response == ImapCommandResponse.No && ServerDifferences.Portable(name) is { } portable)
                {
                    reasons.Add($"the destination refused the name: {ServerDifferences.Words(e.ResponseText)}");
                    name = portable;
                    existing = children.FirstOrDefault(f => f.Name == name) ?? await CreateAsync(parent, name, use, capabilities, ct);
                }
            }
            names.Add(name);
            parent = existing;
        }
        if (reasons.Count > 0)
            lock (totals)
                totals.Renamed[folder.FullName] = new FolderRename(string.Join('/', levels), string.Join('/', names), string.Join("; ", reasons.Distinct()));
        return parent;
    }

    private static async Task<IMailFolder> CreateAsync(IMailFolder parent, string name, SpecialFolder? role, ImapCapabilities capabilities, CancellationToken ct)
    {
        if (role is { } use && capabilities.HasFlag(ImapCapabilities.CreateSpecialUse))
        {
            try
            {
                return await parent.CreateAsync(name, [use], ct)
                    ?? throw new InvalidOperationException($"The destination did not create the folder {name}.");
            }
            catch (ImapCommandException e) when (e.Response == ImapCommandResponse.No)
            {
                // Refused with its role (the server keeps one folder per role, or not this role): a plain folder
                // still holds the mail; the name is what a mail client without the role goes by.
            }
        }
        return await parent.CreateAsync(name, isMessageFolder: true, ct)
            ?? throw new InvalidOperationException($"The destination did not create the folder {name}.");
    }
}
