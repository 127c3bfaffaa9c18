using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MigrationPortal.Engine.Checkpoints;
using MimeKit;

namespace MigrationPortal.Engine.Passes;

/// <summary>
/// One pass over a mailbox: every selectable source folder is copied into the destination folder of the same path
/// (hierarchy kept across delimiters, missing folders created), each message with its flags, keywords and
/// INTERNALDATE. The source is only read (EXAMINE, BODY.PEEK). Per folder the checkpoint (UIDVALIDITY, highest UID
/// copied) decides what is new, so a second pass, or a resume after a crash or a Stop, copies nothing twice. Stop
/// arrives through the token and ends the pass at a message boundary, after the batch in flight is checkpointed.
///
/// This first engine appends through MailKit, which re-serialises each message: exact for well-formed mail, but not
/// byte-for-byte for malformed messages or bare-LF line ends. The raw APPEND writer replaces that step next.
/// </summary>
public sealed class MailboxPass(IMailStore source, IMailStore destination, ICheckpointStore checkpoints)
{
    public const int DefaultBatchSize = 50;

    /// <summary>Messages per checkpoint: what a crash may make the next pass look at again (never copy again).</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    public PassOptions Options { get; init; } = PassOptions.Full;

    public async Task<PassResult> RunAsync(CancellationToken stop, CancellationToken abort = default)
    {
        var failedMessages = new List<FailedMessage>();
        int folders = 0, found = 0, copied = 0, skipped = 0;
        long bytes = 0;

        var specialUse = await SpecialUseFoldersAsync(destination, abort);
        foreach (var folder in await ListAsync(source, abort))
        {
            if (stop.IsCancellationRequested) break;
            folders++;
            var target = SpecialUse(folder) is { } use && specialUse.TryGetValue(use, out var mapped)
                ? mapped
                : await EnsureFolderAsync(folder, abort);
            await folder.OpenAsync(FolderAccess.ReadOnly, abort);
            try
            {
                var checkpoint = await checkpoints.GetAsync(folder.FullName, abort);
                // Which destination messages may already be copies of source messages the checkpoint does not count:
                // after a crash in mid-batch, those appended since the journal (this pass's work, counted as copied);
                // after the source's UIDVALIDITY changed, or on a first pass into a folder that is not empty, all of
                // them (already there, counted as skipped). Matched by Message-ID and INTERNALDATE, never by headers alone.
                if (checkpoint is not null && checkpoint.UidValidity != folder.UidValidity) checkpoint = null;
                var adoptAsCopied = checkpoint is { HasJournal: true };
                var adoptable = adoptAsCopied
                    ? await DestinationIdentitiesAsync(target, checkpoint!.JournalDestinationUidValidity, checkpoint.JournalDestinationUidNext!.Value, abort)
                    : checkpoint is null ? await DestinationIdentitiesAsync(target, null, 1, abort) : [];
                var after = checkpoint?.HighestCopiedUid ?? 0;
                var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size,
                    [HeaderId.MessageId]);
                var summaries = folder.Count == 0 ? [] : await folder.FetchAsync(
                    new UniqueIdRange(new UniqueId(folder.UidValidity, after + 1), UniqueId.MaxValue), request, abort);
                var todo = summaries.Where(s => s.UniqueId.Id > after).OrderBy(s => s.UniqueId.Id).ToList();
                found += folder.Count;
                skipped += folder.Count - todo.Count;

                foreach (var batch in todo.Chunk(BatchSize))
                {
                    int batchCopied = 0;
                    long batchBytes = 0;
                    var batchFailed = new List<FailedMessage>();
                    uint highest = after;
                    // The journal first: where the destination folder stood before this batch's appends.
                    await target.StatusAsync(StatusItems.UidNext | StatusItems.UidValidity, abort);
                    await checkpoints.SaveAsync(new BatchProgress(
                        new FolderCheckpoint(folder.FullName, folder.UidValidity, after, target.UidValidity, target.UidNext?.Id ?? 1), 0, 0), abort);
                    foreach (var summary in batch)
                    {
                        if (stop.IsCancellationRequested) break;
                        if (adoptable.Count > 0 && adoptable.Remove(Identity(summary)))
                        {
                            if (adoptAsCopied)
                            {
                                batchCopied++;
                                batchBytes += summary.Size ?? 0;
                            }
                            else
                            {
                                skipped++;
                            }
                            highest = summary.UniqueId.Id;
                            continue;
                        }
                        using var message = await folder.GetMessageAsync(summary.UniqueId, abort);
                        try
                        {
                            var append = new AppendRequest(message, (summary.Flags ?? MessageFlags.None) & ~MessageFlags.Recent)
                            {
                                InternalDate = summary.InternalDate,
                                Keywords = summary.Keywords.Count > 0 ? new HashSet<string>(summary.Keywords) : null,
                            };
                            await target.AppendAsync(append, abort);
                            batchCopied++;
                            batchBytes += summary.Size ?? 0;
                        }
                        catch (ImapCommandException refused)
                        {
                            batchFailed.Add(new FailedMessage(folder.FullName, summary.UniqueId.Id, message.Subject, summary.Size ?? 0, refused.Message));
                        }
                        highest = summary.UniqueId.Id;
                    }
                    await checkpoints.SaveAsync(new BatchProgress(new FolderCheckpoint(folder.FullName, folder.UidValidity, highest), batchCopied, batchBytes, batchFailed), abort);
                    failedMessages.AddRange(batchFailed);
                    after = highest;
                    copied += batchCopied;
                    bytes += batchBytes;
                    if (stop.IsCancellationRequested) break;
                }
                if (!stop.IsCancellationRequested && checkpoint is null && todo.Count == 0)
                    await checkpoints.SaveAsync(new BatchProgress(new FolderCheckpoint(folder.FullName, folder.UidValidity, after), 0, 0), abort);
            }
            finally
            {
                await folder.CloseAsync(false, abort);
            }
        }
        return new PassResult(folders, found, copied, bytes, skipped, failedMessages, stop.IsCancellationRequested);
    }

    /// <summary>
    /// What a message is taken to be when adopting after a crash: its Message-ID and INTERNALDATE, both of which the
    /// append keeps. Only destination messages appended since the journal's UIDNEXT are candidates, so mail that was
    /// already in the destination is never mistaken for the batch's; identical twins are a multiset, each adopted once.
    /// </summary>
    private static (string MessageId, long InternalDate) Identity(IMessageSummary summary) =>
        (summary.Headers?[HeaderId.MessageId]?.Trim() ?? "", summary.InternalDate?.UtcTicks ?? 0);

    /// <param name="expectedUidValidity">When given, a destination folder with another UIDVALIDITY offers nothing.</param>
    private static async Task<Multiset> DestinationIdentitiesAsync(IMailFolder target, uint? expectedUidValidity, uint fromUid, CancellationToken ct)
    {
        await target.OpenAsync(FolderAccess.ReadOnly, ct);
        try
        {
            if (target.Count == 0 || (expectedUidValidity is { } v && target.UidValidity != v)) return [];
            var since = new UniqueIdRange(new UniqueId(target.UidValidity, Math.Max(1, fromUid)), UniqueId.MaxValue);
            var found = await target.FetchAsync(since, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate, [HeaderId.MessageId]), ct);
            var set = new Multiset();
            foreach (var summary in found.Where(s => s.UniqueId.Id >= fromUid))
                set.Add(Identity(summary));
            return set;
        }
        finally
        {
            await target.CloseAsync(false, ct);
        }
    }

    private sealed class Multiset : IEnumerable<(string, long)>
    {
        private readonly Dictionary<(string, long), int> _counts = [];
        public int Count { get; private set; }

        public void Add((string, long) key)
        {
            _counts[key] = _counts.GetValueOrDefault(key) + 1;
            Count++;
        }

        public bool Remove((string, long) key)
        {
            if (!_counts.TryGetValue(key, out var n)) return false;
            if (n == 1) _counts.Remove(key); else _counts[key] = n - 1;
            Count--;
            return true;
        }

        public IEnumerator<(string, long)> GetEnumerator() => _counts.SelectMany(kv => Enumerable.Repeat(kv.Key, kv.Value)).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static readonly FolderAttributes[] SpecialUses =
        [FolderAttributes.Sent, FolderAttributes.Drafts, FolderAttributes.Trash, FolderAttributes.Junk, FolderAttributes.Archive];

    /// <summary>The folder's SPECIAL-USE role (RFC 6154), if the server gave it one.</summary>
    private static FolderAttributes? SpecialUse(IMailFolder folder) =>
        SpecialUses.Cast<FolderAttributes?>().FirstOrDefault(a => folder.Attributes.HasFlag(a!.Value));

    /// <summary>
    /// The destination's own folder for each role, so "Sent Items" on the source lands in the destination's "Sent"
    /// (or whatever it calls it) instead of a second sent folder the mail client does not use.
    /// </summary>
    private static async Task<Dictionary<FolderAttributes, IMailFolder>> SpecialUseFoldersAsync(IMailStore store, CancellationToken ct)
    {
        var map = new Dictionary<FolderAttributes, IMailFolder>();
        foreach (var folder in await store.GetFoldersAsync(store.PersonalNamespaces[0], subscribedOnly: false, ct))
            if (SpecialUse(folder) is { } use && !folder.Attributes.HasFlag(FolderAttributes.NonExistent))
                map.TryAdd(use, folder);
        return map;
    }

    /// <summary>Every selectable folder of the personal namespace, INBOX first, parents before children.</summary>
    private static async Task<IReadOnlyList<IMailFolder>> ListAsync(IMailStore store, CancellationToken ct)
    {
        var all = await store.GetFoldersAsync(store.PersonalNamespaces[0], subscribedOnly: false, ct);
        var selectable = all.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent)).ToList();
        if (!selectable.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
            selectable.Insert(0, store.Inbox);
        return selectable.OrderBy(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(f => f.FullName, StringComparer.Ordinal).ToList();
    }

    /// <summary>The destination folder of the same path, in the destination's delimiter, created level by level when missing.</summary>
    private async Task<IMailFolder> EnsureFolderAsync(IMailFolder folder, CancellationToken ct)
    {
        if (folder.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) return destination.Inbox;
        var names = folder.FullName.Split(folder.DirectorySeparator);
        IMailFolder parent = destination.GetFolder(destination.PersonalNamespaces[0])
            ?? throw new InvalidOperationException("The destination has no personal namespace.");
        foreach (var name in names)
        {
            var existing = (await parent.GetSubfoldersAsync(false, ct)).FirstOrDefault(f => f.Name == name);
            parent = existing ?? await parent.CreateAsync(name, isMessageFolder: true, ct)
                ?? throw new InvalidOperationException($"The destination did not create the folder {name}.");
        }
        return parent;
    }
}
