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

    public async Task<PassResult> RunAsync(CancellationToken stop, CancellationToken abort = default)
    {
        var failedMessages = new List<FailedMessage>();
        var failedFolders = new List<FailedFolder>();
        int folders = 0, found = 0, copied = 0, skipped = 0;
        long bytes = 0;

        foreach (var folder in await ListAsync(source, abort))
        {
            if (stop.IsCancellationRequested) break;
            folders++;
            var target = await EnsureFolderAsync(folder, abort);
            await folder.OpenAsync(FolderAccess.ReadOnly, abort);
            try
            {
                var checkpoint = await checkpoints.GetAsync(folder.FullName, abort);
                if (checkpoint is not null && checkpoint.UidValidity != folder.UidValidity)
                {
                    // Matching by Message-ID, size and date comes with the next engine slice; until then nothing is
                    // copied rather than anything copied twice.
                    failedFolders.Add(new FailedFolder(folder.FullName,
                        $"The source folder's UIDVALIDITY changed ({checkpoint.UidValidity} → {folder.UidValidity}); it was not copied again, to avoid duplicates."));
                    continue;
                }
                var after = checkpoint?.HighestCopiedUid ?? 0;
                var summaries = folder.Count == 0 ? [] : await folder.FetchAsync(
                    new UniqueIdRange(new UniqueId(folder.UidValidity, after + 1), UniqueId.MaxValue),
                    MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size, abort);
                var todo = summaries.Where(s => s.UniqueId.Id > after).OrderBy(s => s.UniqueId.Id).ToList();
                found += folder.Count;
                skipped += folder.Count - todo.Count;

                foreach (var batch in todo.Chunk(BatchSize))
                {
                    int batchCopied = 0;
                    long batchBytes = 0;
                    uint highest = after;
                    foreach (var summary in batch)
                    {
                        if (stop.IsCancellationRequested) break;
                        using var message = await folder.GetMessageAsync(summary.UniqueId, abort);
                        try
                        {
                            var request = new AppendRequest(message, (summary.Flags ?? MessageFlags.None) & ~MessageFlags.Recent)
                            {
                                InternalDate = summary.InternalDate,
                                Keywords = summary.Keywords.Count > 0 ? new HashSet<string>(summary.Keywords) : null,
                            };
                            await target.AppendAsync(request, abort);
                            batchCopied++;
                            batchBytes += summary.Size ?? 0;
                        }
                        catch (ImapCommandException refused)
                        {
                            failedMessages.Add(new FailedMessage(folder.FullName, summary.UniqueId.Id, message.Subject, summary.Size ?? 0, refused.Message));
                        }
                        highest = summary.UniqueId.Id;
                    }
                    if (highest > after)
                    {
                        await checkpoints.SaveAsync(new BatchProgress(new FolderCheckpoint(folder.FullName, folder.UidValidity, highest), batchCopied, batchBytes), abort);
                        after = highest;
                    }
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
        return new PassResult(folders, found, copied, bytes, skipped, failedMessages, failedFolders, stop.IsCancellationRequested);
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
