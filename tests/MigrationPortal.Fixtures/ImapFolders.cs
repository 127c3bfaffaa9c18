using MailKit;
using MailKit.Net.Imap;

namespace MigrationPortal.Fixtures;

/// <summary>
/// Folders named as the user sees them, '/'-separated below INBOX ("Projects/2026"), on servers whose folders live
/// under "INBOX." (Cyrus, Courier): found, or created level by level, from INBOX down, whatever the server's delimiter.
/// </summary>
internal static class ImapFolders
{
    public static Task<IMailFolder> GetAsync(ImapClient client, string folder) => WalkAsync(client, folder, create: false);

    public static Task<IMailFolder> GetOrCreateAsync(ImapClient client, string folder) => WalkAsync(client, folder, create: true);

    private static async Task<IMailFolder> WalkAsync(ImapClient client, string folder, bool create)
    {
        IMailFolder target = client.Inbox ?? throw new InvalidOperationException("The server gave the user no INBOX.");
        if (folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) return target;
        foreach (var part in folder.Split('/'))
        {
            var existing = (await target.GetSubfoldersAsync()).FirstOrDefault(f => f.Name == part);
            target = existing
                ?? (create ? await target.CreateAsync(part, isMessageFolder: true) : null)
                ?? throw new InvalidOperationException($"{part} (of {folder}) is not there.");
        }
        return target;
    }
}
