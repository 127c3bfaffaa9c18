using System.Diagnostics;
using System.Threading.Channels;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;

namespace MigrationPortal.Bench;

/// <summary>
/// The ceiling: a bare copy with the same kind of connections as the migrator (one to the source, one to the
/// destination) and no bookkeeping at all: no checkpoints, no duplicate matching, no retries. The source FETCHes
/// bodies while the destination APPENDs the previous ones, through a bounded channel.
/// </summary>
public static class Ceiling
{
    private sealed record Item(string Folder, IAppendRequest? Request, long Bytes);

    private const int AppendBatch = 50;

    public static async Task<(int Messages, long Bytes, TimeSpan Elapsed)> RunAsync(Account source, Account destination)
    {
        var clock = Stopwatch.StartNew();
        using var from = await source.ConnectAsync();
        using var to = await destination.ConnectAsync();
        var channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(200) { SingleReader = true, SingleWriter = true });

        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var folder in await Folders.SelectableAsync(from))
                {
                    var path = folder.FullName.Replace(folder.DirectorySeparator, '/');
                    await channel.Writer.WriteAsync(new Item(path, null, 0)); // the destination creates it, even empty
                    await folder.OpenAsync(FolderAccess.ReadOnly);
                    if (folder.Count == 0) continue;
                    var meta = (await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate))
                        .ToDictionary(s => s.UniqueId);
                    await ((ImapFolder)folder).GetStreamsAsync(meta.Keys.ToList(), async (_, _, uid, stream, ct) =>
                    {
                        var length = stream.Length;
                        // >>> MailKit's AppendRequest takes a parsed MimeMessage (it re-serialises it). To be switched to the
                        // >>> engine's raw byte-exact APPEND writer once it lands; until then the ceiling pays MimeKit's parse.
                        var message = await MimeMessage.LoadAsync(stream, ct);
                        var s = meta[uid];
                        var request = new AppendRequest(message, s.Flags!.Value & ~MessageFlags.Recent)
                        {
                            InternalDate = s.InternalDate,
                            Keywords = s.Keywords.Count == 0 ? null : new HashSet<string>(s.Keywords),
                        };
                        await channel.Writer.WriteAsync(new Item(path, request, length), ct);
                    });
                }
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        });

        var messages = 0;
        long bytes = 0;
        IMailFolder? target = null;
        var batch = new List<IAppendRequest>();
        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            // >>> MailKit's AppendAsync (MULTIAPPEND when advertised): the spot the raw APPEND writer replaces.
            await target!.AppendAsync(batch);
            batch.Clear();
        }
        await foreach (var item in channel.Reader.ReadAllAsync())
        {
            if (item.Request is null)
            {
                await FlushAsync();
                target = await Folders.GetOrCreateAsync(to, item.Folder);
                continue;
            }
            batch.Add(item.Request);
            messages++;
            bytes += item.Bytes;
            if (batch.Count >= AppendBatch) await FlushAsync();
        }
        await FlushAsync();
        await producer;
        await from.DisconnectAsync(quit: true);
        await to.DisconnectAsync(quit: true);
        return (messages, bytes, clock.Elapsed);
    }
}
