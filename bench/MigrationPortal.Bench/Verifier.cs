using System.Globalization;
using System.Security.Cryptography;
using MailKit;
using MailKit.Net.Imap;
using MimeKit;

namespace MigrationPortal.Bench;

/// <summary>
/// Compares a destination with its source over IMAP, folder by folder: the message count, the multiset of Message-IDs
/// (missing, extra), and for each matched message its system flags, keywords, INTERNALDATE and RFC822.SIZE; with
/// hashes, the SHA-256 of every message's bytes too. Extra empty folders on the destination are reported, not failed.
/// Folders are compared as the user sees them (<see cref="Folders.UserPath"/>), so any two kinds of server compare.
/// Exit status: 0 identical; 1 every message is there, in its folder, once, but some differ (flags, keywords, dates,
/// sizes, bytes: what a peer such as mbsync changes by design); 3 messages or folders with mail missing or extra.
/// </summary>
public static class Verifier
{
    private sealed record Seen(string MessageId, MessageFlags Flags, string Keywords, DateTimeOffset Date, long Size, string? Hash);

    public static async Task<int> RunAsync(Account source, Account destination, bool hashes, TextWriter output)
    {
        var from = await SnapshotAsync(source, hashes);
        var to = await SnapshotAsync(destination, hashes);
        var problems = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        void Problem(string kind, string example)
        {
            if (!problems.TryGetValue(kind, out var list)) problems[kind] = list = [];
            list.Add(example);
        }

        var messages = 0;
        foreach (var (folder, expected) in from)
        {
            messages += expected.Count;
            if (!to.TryGetValue(folder, out var actual))
            {
                if (expected.Count > 0) Problem("missing folder", folder);
                continue;
            }
            if (expected.Count != actual.Count)
                Problem("count", string.Create(CultureInfo.InvariantCulture, $"{folder}: {expected.Count} on the source, {actual.Count} on the destination"));
            // Matched by Message-ID; twins (same Message-ID) paired in date and size order.
            var remaining = actual.GroupBy(m => m.MessageId).ToDictionary(g => g.Key, g => new Queue<Seen>(g.OrderBy(m => m.Date).ThenBy(m => m.Size)));
            foreach (var want in expected.OrderBy(m => m.Date).ThenBy(m => m.Size))
            {
                if (!remaining.TryGetValue(want.MessageId, out var candidates) || candidates.Count == 0)
                {
                    Problem("missing message", $"{folder}: {want.MessageId}");
                    continue;
                }
                var got = candidates.Dequeue();
                if (got.Flags != want.Flags) Problem("flags", $"{folder}: {want.MessageId} {want.Flags} vs {got.Flags}");
                if (got.Keywords != want.Keywords) Problem("keywords", $"{folder}: {want.MessageId} [{want.Keywords}] vs [{got.Keywords}]");
                if (got.Date != want.Date) Problem("internaldate", $"{folder}: {want.MessageId} {want.Date:O} vs {got.Date:O}");
                if (got.Size != want.Size) Problem("size", string.Create(CultureInfo.InvariantCulture, $"{folder}: {want.MessageId} {want.Size} vs {got.Size}"));
                if (got.Hash != want.Hash) Problem("sha256", $"{folder}: {want.MessageId}");
            }
            foreach (var extra in remaining.Values.SelectMany(q => q))
                Problem("extra message", $"{folder}: {extra.MessageId}");
        }
        var extraFolders = to.Keys.Except(from.Keys).ToList();
        foreach (var folder in extraFolders.Where(f => to[f].Count > 0))
            Problem("extra folder with mail", folder);
        var emptyExtras = extraFolders.Count(f => to[f].Count == 0);

        var checkedWhat = hashes ? "counts, Message-IDs, flags, keywords, dates, sizes, SHA-256" : "counts, Message-IDs, flags, keywords, dates, sizes";
        if (problems.Count == 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"verified: {messages} messages in {from.Count} folders identical ({checkedWhat}){(emptyExtras > 0 ? $"; {emptyExtras} extra empty folders on the destination" : "")}"));
            return 0;
        }
        var counts = string.Join(", ", problems.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value.Count} {p.Key}")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DIFFERS ({checkedWhat}, {messages} messages in {from.Count} folders): {counts}"));
        foreach (var (kind, examples) in problems)
            foreach (var example in examples.Take(3))
                output.WriteLine($"  {kind}: {example}");
        return problems.Keys.Any(MessagesWrong) ? 3 : 1;
    }

    /// <summary>Whether a kind of problem means mail is missing, extra or in the wrong folder (not only marked differently).</summary>
    private static bool MessagesWrong(string kind) => kind is "missing folder" or "count" or "missing message" or "extra message" or "extra folder with mail";

    private static async Task<Dictionary<string, List<Seen>>> SnapshotAsync(Account account, bool hashes)
    {
        using var client = await account.ConnectAsync();
        var result = new Dictionary<string, List<Seen>>(StringComparer.Ordinal);
        foreach (var folder in await Folders.SelectableAsync(client))
        {
            // Servers lay folders out differently (Cyrus's INBOX.A.B, Dovecot's A/B): compare them as the user sees them.
            var path = Folders.UserPath(client, folder);
            await folder.OpenAsync(FolderAccess.ReadOnly);
            var list = new List<Seen>();
            if (folder.Count > 0)
            {
                var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size,
                    [HeaderId.MessageId]);
                var summaries = await folder.FetchAsync(0, -1, request);
                var hashOf = new Dictionary<UniqueId, string>();
                if (hashes)
                {
                    await ((ImapFolder)folder).GetStreamsAsync(summaries.Select(s => s.UniqueId).ToList(), (_, _, uid, stream, _) =>
                    {
                        hashOf[uid] = Convert.ToHexString(SHA256.HashData(stream));
                        return Task.CompletedTask;
                    });
                }
                foreach (var s in summaries)
                {
                    list.Add(new Seen(
                        s.Headers?[HeaderId.MessageId]?.Trim() ?? $"(none, {s.Size} bytes)",
                        s.Flags!.Value & ~MessageFlags.Recent,
                        string.Join(' ', s.Keywords.Order(StringComparer.Ordinal)),
                        s.InternalDate!.Value,
                        s.Size is { } size ? size : -1,
                        hashes ? hashOf.GetValueOrDefault(s.UniqueId) : null));
                }
            }
            await folder.CloseAsync();
            result[path] = list;
        }
        await client.DisconnectAsync(quit: true);
        return result;
    }
}
