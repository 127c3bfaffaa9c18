using System.Security.Cryptography;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;

namespace MigrationPortal.Fixtures.Dovecot;

/// <summary>
/// What a user's mailbox holds, as a mail client would find it: every selectable folder (empty ones too) with the
/// SHA-256 of each message's raw bytes (BODY.PEEK[]), sorted, so two mailboxes compare as a multiset per folder: a
/// duplicate, a lost message or a changed byte all show, whatever the UIDs and the order.
/// </summary>
public sealed class MailboxContent
{
    private MailboxContent(SortedDictionary<string, List<string>> folders) => Folders = folders;

    /// <summary>Folder path ('/'-separated, as the server names it) → the sorted hashes of its messages.</summary>
    public IReadOnlyDictionary<string, List<string>> Folders { get; }

    public int MessageCount => Folders.Values.Sum(f => f.Count);

    /// <summary>Every message as "folder hash", sorted: two mailboxes with the same lines hold the same messages in the same folders.</summary>
    public IReadOnlyList<string> Lines => [.. Folders.SelectMany(f => f.Value.Select(hash => f.Key + " " + hash)).Order(StringComparer.Ordinal)];

    /// <summary>Messages per folder, e.g. "INBOX: 3, Projects/2026: 2", for messages and logs.</summary>
    public string Summary => string.Join(", ", Folders.Select(f => $"{f.Key}: {f.Value.Count}"));

    /// <summary>Reads the whole mailbox over IMAP; the folders are only examined, never changed.</summary>
    public static Task<MailboxContent> ReadAsync(DovecotServer server, string login, string password, CancellationToken ct = default) =>
        ReadAsync(server.Host, server.Port, login, password, ct);

    /// <summary>
    /// Reads the whole mailbox of any IMAP server. Folders are named as a user sees them, whatever the server's layout:
    /// below the personal namespace's prefix (Cyrus's and Courier's "INBOX."), with "/" between levels, so mailboxes on
    /// two kinds of server compare.
    /// </summary>
    public static async Task<MailboxContent> ReadAsync(string host, int port, string login, string password, CancellationToken ct = default)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(host, port, SecureSocketOptions.None, ct);
        await client.AuthenticateAsync(login, password, ct);
        var folders = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var personal = client.PersonalNamespaces[0];
        var listed = await client.GetFoldersAsync(personal, subscribedOnly: false, cancellationToken: ct);
        // A namespace of "INBOX." lists INBOX's children, not INBOX itself.
        if (client.Inbox is { } inbox && !listed.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
            listed = [inbox, .. listed];
        foreach (var folder in listed)
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect) || folder.Attributes.HasFlag(FolderAttributes.NonExistent)) continue;
            await folder.OpenAsync(FolderAccess.ReadOnly, ct);
            var hashes = new List<string>();
            if (folder.Count > 0)
            {
                var uids = await folder.SearchAsync(SearchQuery.All, ct);
                // One FETCH BODY.PEEK[] for the whole folder: thousands of messages are read in a second or so.
                await ((ImapFolder)folder).GetStreamsAsync(uids, async (_, _, _, stream, token) =>
                    hashes.Add(Convert.ToHexString(await SHA256.HashDataAsync(stream, token))), ct);
            }
            hashes.Sort(StringComparer.Ordinal);
            folders[UserName(personal, folder)] = hashes;
            await folder.CloseAsync(false, ct);
        }
        await client.DisconnectAsync(quit: true, ct);
        return new MailboxContent(folders);
    }

    /// <summary>"folder: subject" of every message in the server's own folder names, sorted: where mail went, readably.</summary>
    public static async Task<List<string>> SubjectsAsync(DovecotServer server, string login, string password)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        var content = new List<string>();
        foreach (var folder in await client.GetFoldersAsync(client.PersonalNamespaces[0]))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect)) continue;
            await folder.OpenAsync(FolderAccess.ReadOnly);
            if (folder.Count > 0)
                content.AddRange((await folder.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(s => $"{folder.FullName}: {s.Envelope!.Subject}"));
        }
        await client.DisconnectAsync(quit: true);
        content.Sort(StringComparer.Ordinal);
        return content;
    }

    /// <summary>The folder's name as the user sees it: below the personal namespace's prefix, "/" between levels.</summary>
    public static string UserName(FolderNamespace personal, IMailFolder folder)
    {
        var prefix = personal.Path.TrimEnd(personal.DirectorySeparator);
        var name = folder.FullName;
        if (prefix.Length > 0 && name.Length > prefix.Length + 1 && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && name[prefix.Length] == folder.DirectorySeparator)
            name = name[(prefix.Length + 1)..];
        return folder.DirectorySeparator is '/' or '\0' ? name : name.Replace(folder.DirectorySeparator, '/');
    }

    /// <summary>
    /// How this mailbox differs from <paramref name="expected"/>, one line per folder that does (empty when they hold
    /// exactly the same): folders missing or extra, messages missing (lost) or extra (duplicated or foreign).
    /// </summary>
    public IReadOnlyList<string> DifferencesFrom(MailboxContent expected)
    {
        var lines = new List<string>();
        foreach (var name in expected.Folders.Keys.Union(Folders.Keys).Order(StringComparer.Ordinal))
        {
            if (!Folders.TryGetValue(name, out var actual))
            {
                lines.Add($"{name}: missing (expected {expected.Folders[name].Count} messages)");
                continue;
            }
            if (!expected.Folders.TryGetValue(name, out var wanted))
            {
                lines.Add($"{name}: not expected (holds {actual.Count} messages)");
                continue;
            }
            var missing = Minus(wanted, actual);
            var extra = Minus(actual, wanted);
            if (missing.Count == 0 && extra.Count == 0) continue;
            var duplicates = extra.Count(wanted.ToHashSet().Contains);
            lines.Add($"{name}: {actual.Count} messages, expected {wanted.Count}; {missing.Count} missing, {extra.Count} extra " +
                $"({duplicates} of them copies of expected messages)");
        }
        return lines;
    }

    /// <summary>The multiset difference a − b.</summary>
    private static List<string> Minus(List<string> a, List<string> b)
    {
        var counts = b.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var rest = new List<string>();
        foreach (var x in a)
        {
            if (counts.TryGetValue(x, out var n) && n > 0) counts[x] = n - 1;
            else rest.Add(x);
        }
        return rest;
    }
}
