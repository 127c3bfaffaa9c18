using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Bench;

/// <summary>
/// The ceiling: the migrator's data path with nothing else. The same connections as ours (the engine's
/// <see cref="ImapConnector"/>: a pooled MailKit source connection and the engine's raw <see cref="AppendWriter"/> per
/// lane, <paramref name="lanes"/> folders at once, largest first), the same pipeline (the source fetches the next batch's
/// exact bytes while the writer appends the current one in one MULTIAPPEND of at most 50 messages / 8 MB), and no
/// bookkeeping: no checkpoints, no journal, no duplicate matching, no size verification, no flag sync. What ours costs
/// beyond this rate is the bookkeeping; what both cost is the servers and the wire.
/// </summary>
public static class Ceiling
{
    private sealed record Work(string Source, string Target, long Weight);

    private sealed record Batch(IReadOnlyList<IMessageSummary> Summaries, IReadOnlyList<MessageBuffer> Bodies) : IDisposable
    {
        public void Dispose()
        {
            foreach (var body in Bodies) body.Dispose();
        }
    }

    public static async Task<(int Messages, long Bytes, TimeSpan Elapsed, int Lanes)> RunAsync(Account source, Account destination, int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        var clock = Stopwatch.StartNew();
        // The engine's connector with a generous timeout: a loaded benchmark machine must not turn a slow answer into a failure.
        var connector = new ImapConnector(TimeSpan.FromSeconds(120));
        var from = (Endpoint(source), new ImapLogin(source.User, source.Password));
        var to = (Endpoint(destination), new ImapLogin(destination.User, destination.Password));

        // Listing and folder creation over one source and one destination MailKit connection, before any copying, as ours
        // does: lanes never race to create a parent. The destination's MailKit connection does nothing else here; ours keeps
        // one per lane for duplicate matching and flag sync, which the ceiling leaves out, so the ceiling does not open them.
        await using var listing = await connector.ConnectAsync(from.Item1, from.Item2, default);
        var work = new List<Work>();
        await using (var folders = await connector.ConnectAsync(to.Item1, to.Item2, default))
        {
            var store = (ImapClient)listing.Store;
            var items = StatusItems.Count | (store.Capabilities.HasFlag(ImapCapabilities.StatusSize) ? StatusItems.Size : StatusItems.None);
            var all = await store.GetFoldersAsync(store.PersonalNamespaces[0], items, subscribedOnly: false);
            foreach (var folder in all.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent)))
            {
                var target = await Folders.GetOrCreateAsync((ImapClient)folders.Store, Folders.UserPath(store, folder));
                work.Add(new Work(folder.FullName, target.FullName, folder.Size is { } size and > 0 ? (long)size : folder.Count));
            }
        }

        // Largest first, as ours schedules them, so the last folder to finish is a small one.
        var queue = new ConcurrentQueue<Work>(work.OrderByDescending(w => w.Weight));
        var opened = new List<(ImapSession Source, AppendWriter Writer)>();
        try
        {
            for (var i = 0; i < Math.Min(lanes, Math.Max(1, work.Count)); i++)
            {
                // The listing connection is the first lane's source, as the pass's own connections are its first lane.
                var laneSource = i == 0 ? listing : await connector.ConnectAsync(from.Item1, from.Item2, default);
                try
                {
                    opened.Add((laneSource, await connector.ConnectAppendWriterAsync(to.Item1, to.Item2, default)));
                }
                catch
                {
                    if (i > 0) await laneSource.DisposeAsync();
                    throw;
                }
            }
            var messages = 0;
            long bytes = 0;
            using var failed = new CancellationTokenSource();
            var tasks = opened.Select(lane => Task.Run(async () =>
            {
                try
                {
                    while (queue.TryDequeue(out var item))
                    {
                        var (m, b) = await CopyFolderAsync(lane.Source.Store, lane.Writer, item, failed.Token);
                        Interlocked.Add(ref messages, m);
                        Interlocked.Add(ref bytes, b);
                    }
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
                // The lane that failed, not the cancellations it caused in the others.
                if (tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException) is { } fault)
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
                throw;
            }
            return (messages, bytes, clock.Elapsed, opened.Count);
        }
        finally
        {
            foreach (var (laneSource, writer) in opened)
            {
                await writer.DisposeAsync();
                if (!ReferenceEquals(laneSource, listing)) await laneSource.DisposeAsync();
            }
        }
    }

    private static ImapEndpoint Endpoint(Account account) => new(account.Host, account.Port, TlsMode.None);

    private static async Task<(int Messages, long Bytes)> CopyFolderAsync(IMailStore store, AppendWriter writer, Work item, CancellationToken ct)
    {
        var destination = await writer.SelectAsync(item.Target, ct);
        var folder = item.Source.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? store.Inbox : await store.GetFolderAsync(item.Source, ct);
        await folder.OpenAsync(FolderAccess.ReadOnly, ct);
        try
        {
            if (folder.Count == 0) return (0, 0);
            // What APPEND needs (flags, keywords, INTERNALDATE) and the sizes that cut the batches; nothing to match duplicates by.
            var summaries = (await folder.FetchAsync(0, -1,
                MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size, ct))
                .OrderBy(s => s.UniqueId.Id).ToList();
            var plan = Plan(summaries);

            // One batch fetched ahead of the one being appended, as ours.
            using var pipeline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
            var fetching = FetchAsync((IImapFolder)folder, plan, channel.Writer, pipeline.Token);
            int messages = 0;
            long bytes = 0;
            try
            {
                await foreach (var batch in channel.Reader.ReadAllAsync(pipeline.Token))
                {
                    using (batch)
                    {
                        var items = batch.Summaries.Select((s, i) => new AppendItem(batch.Bodies[i], (s.Flags ?? MessageFlags.None) & ~MessageFlags.Recent,
                            [.. s.Keywords], s.InternalDate)).ToList();
                        var outcomes = await writer.AppendAsync(destination, items, ct);
                        // A refusal is not bookkeeping to skip: a ceiling that dropped mail would not be a copy.
                        if (outcomes.FirstOrDefault(o => !o.Appended) is { Refusal: { } refusal })
                            throw new InvalidOperationException($"{item.Target}: the destination refused a message: {refusal}");
                        messages += items.Count;
                        bytes += batch.Bodies.Sum(b => b.Length);
                    }
                }
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
            }
            return (messages, bytes);
        }
        finally
        {
            await folder.CloseAsync(false, CancellationToken.None);
        }
    }

    /// <summary>Batches as ours cuts them: at most <see cref="AppendWriter.MaxMessagesPerCommand"/> messages and <see cref="AppendWriter.MaxBytesPerCommand"/> bytes.</summary>
    private static List<List<IMessageSummary>> Plan(IReadOnlyList<IMessageSummary> summaries)
    {
        var plan = new List<List<IMessageSummary>>();
        var batch = new List<IMessageSummary>();
        long batchBytes = 0;
        foreach (var summary in summaries)
        {
            var size = (long)(summary.Size ?? 0);
            if (batch.Count > 0 && (batch.Count >= AppendWriter.MaxMessagesPerCommand || batchBytes + size > AppendWriter.MaxBytesPerCommand))
            {
                plan.Add(batch);
                (batch, batchBytes) = ([], 0);
            }
            batch.Add(summary);
            batchBytes += size;
        }
        if (batch.Count > 0) plan.Add(batch);
        return plan;
    }

    /// <summary>The source side: each batch's exact bytes (BODY.PEEK[]) into pooled buffers, taken over from MailKit, not copied.</summary>
    private static async Task FetchAsync(IImapFolder folder, List<List<IMessageSummary>> plan, ChannelWriter<Batch> output, CancellationToken ct)
    {
        try
        {
            foreach (var summaries in plan)
            {
                var bodies = new Dictionary<uint, MessageBuffer>();
                try
                {
                    await folder.GetStreamsAsync([.. summaries.Select(s => s.UniqueId)], (_, _, uid, stream, _) =>
                    {
                        bodies[uid.Id] = PooledImapClient.TakeBuffer(stream)
                            ?? throw new InvalidOperationException("The source connection is not the engine's pooled client.");
                        return Task.CompletedTask;
                    }, ct);
                    // A message that vanished from the source meanwhile is left out, as ours does.
                    var present = summaries.Where(s => bodies.ContainsKey(s.UniqueId.Id)).ToList();
                    var batch = new Batch(present, [.. present.Select(s => bodies[s.UniqueId.Id])]);
                    bodies.Clear();
                    try
                    {
                        await output.WriteAsync(batch, ct);
                    }
                    catch
                    {
                        batch.Dispose();
                        throw;
                    }
                }
                finally
                {
                    foreach (var body in bodies.Values) body.Dispose();
                }
            }
        }
        finally
        {
            output.TryComplete();
        }
    }
}
