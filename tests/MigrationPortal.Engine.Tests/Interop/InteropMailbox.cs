using System.Security.Cryptography;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>One message as a user's mail client sees it: its bytes (hash), Message-ID, flags, keywords and INTERNALDATE.</summary>
public sealed record InteropMessage(string Sha256, string? MessageId, MessageFlags Flags, IReadOnlyList<string> Keywords, DateTimeOffset? InternalDate)
{
    public override string ToString() =>
        $"{MessageId ?? "(no Message-ID)"} {Sha256[..12]} [{Flags}] [{string.Join(' ', Keywords)}] {InternalDate?.ToUniversalTime():O}";
}

/// <summary>A folder as read: its messages and the flags it keeps (PERMANENTFLAGS).</summary>
public sealed record InteropFolder(string Name, IReadOnlyList<InteropMessage> Messages, MessageFlags PermanentFlags, bool AnyKeyword);

/// <summary>
/// A whole mailbox on any IMAP server, read as the user sees it: folders named below the personal namespace with "/"
/// between levels (Cyrus's and Courier's "INBOX.Projects.2026" and Dovecot's "Projects/2026" are both "Projects/2026"),
/// each message with what issue 16 verifies. Nothing in them is changed.
/// </summary>
public sealed class InteropMailbox
{
    private InteropMailbox(SortedDictionary<string, InteropFolder> folders) => Folders = folders;

    public IReadOnlyDictionary<string, InteropFolder> Folders { get; }

    public int MessageCount => Folders.Values.Sum(f => f.Messages.Count);

    public static async Task<InteropMailbox> ReadAsync(string host, int port, string login, string password)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(host, port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        var personal = client.PersonalNamespaces[0];
        var listed = await client.GetFoldersAsync(personal, StatusItems.None, false, default);
        if (!listed.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
            listed = [client.Inbox, .. listed];
        var folders = new SortedDictionary<string, InteropFolder>(StringComparer.Ordinal);
        foreach (var folder in listed)
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect) || folder.Attributes.HasFlag(FolderAttributes.NonExistent)) continue;
            // Selected, not examined: a read-only folder's PERMANENTFLAGS are empty (RFC 3501 7.1), and what the
            // folder keeps is what the copies are checked against. Nothing is changed in it.
            await folder.OpenAsync(FolderAccess.ReadWrite);
            var messages = new List<InteropMessage>();
            if (folder.Count > 0)
            {
                var uids = await folder.SearchAsync(SearchQuery.All);
                var summaries = (await folder.FetchAsync(uids, new FetchRequest(
                    MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate, [HeaderId.MessageId])))
                    .ToDictionary(s => s.UniqueId.Id);
                var hashes = new Dictionary<uint, string>();
                await ((ImapFolder)folder).GetStreamsAsync(uids, async (_, _, uid, stream, token) =>
                    hashes[uid.Id] = Convert.ToHexString(await SHA256.HashDataAsync(stream, token)), default);
                foreach (var uid in uids)
                {
                    var summary = summaries[uid.Id];
                    messages.Add(new InteropMessage(hashes[uid.Id], summary.Headers?[HeaderId.MessageId]?.Trim(),
                        (summary.Flags ?? MessageFlags.None) & ~MessageFlags.Recent, [.. summary.Keywords.Order(StringComparer.Ordinal)],
                        summary.InternalDate));
                }
            }
            folders[MailboxContent.UserName(personal, folder)] = new InteropFolder(MailboxContent.UserName(personal, folder),
                [.. messages.OrderBy(m => m.Sha256, StringComparer.Ordinal)], folder.PermanentFlags, folder.PermanentFlags.HasFlag(MessageFlags.UserDefined));
            await folder.CloseAsync(false);
        }
        await client.DisconnectAsync(quit: true);
        return new InteropMailbox(folders);
    }
}
