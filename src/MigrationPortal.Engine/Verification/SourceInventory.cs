using MailKit;

namespace MigrationPortal.Engine.Verification;

/// <summary>What a mailbox holds, for Verify Credentials: its selectable folders and their messages (one STATUS each).</summary>
public sealed record MailboxInventory(int Folders, int Messages)
{
    public static async Task<MailboxInventory> CountAsync(IMailStore store, CancellationToken ct)
    {
        int folders = 0, messages = 0;
        foreach (var folder in await store.GetFoldersAsync(store.PersonalNamespaces[0], subscribedOnly: false, ct))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect) || folder.Attributes.HasFlag(FolderAttributes.NonExistent)) continue;
            await folder.StatusAsync(StatusItems.Count, ct);
            folders++;
            messages += folder.Count;
        }
        return new MailboxInventory(folders, messages);
    }

    public override string ToString() =>
        $"the source holds {Messages} {(Messages == 1 ? "message" : "messages")} in {Folders} {(Folders == 1 ? "folder" : "folders")}";
}
