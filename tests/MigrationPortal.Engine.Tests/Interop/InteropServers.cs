using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Courier;
using MigrationPortal.Fixtures.Cyrus;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>
/// One of issue 16's IMAP implementations as the interoperability tests drive it: where it listens, how an account is
/// made, how a folder gets a new UIDVALIDITY, and what a fresh account of it already holds.
/// </summary>
/// <param name="SentName">What the server's own sent folder is called (Dovecot here: "Sent Items", as Exchange names it).</param>
/// <param name="OwnFolders">Special folders a fresh account of this server already has, by role: the pass must use them.</param>
public sealed record InteropServer(string Name, string Host, int Port, Func<string, string, Task> AddUserAsync,
    Func<string, string, string, Task> ChangeUidValidityAsync, string SentName, IReadOnlyDictionary<SpecialFolder, string> OwnFolders)
{
    /// <summary>The corpus folder's name on this server: a special folder under the server's own name for it.</summary>
    public string NameFor(CorpusFolder folder) => folder.Role == SpecialFolder.Sent ? SentName : folder.Path;

    public async Task<ImapClient> LogInAsync(string login, string password)
    {
        var client = new ImapClient();
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        return client;
    }

    /// <summary>
    /// Creates the folder level by level below the personal namespace (a special folder with its role where the server
    /// takes one) and appends the messages with their flags, keywords and INTERNALDATE. False when the server refuses
    /// the folder's name: that folder is not part of this server's corpus.
    /// </summary>
    public async Task<bool> SeedAsync(ImapClient client, string path, SpecialFolder? role, IEnumerable<CorpusMessage> messages)
    {
        var folder = await FolderAsync(client, path, role, create: true);
        if (folder is null) return false;
        foreach (var message in messages)
            await folder.AppendAsync(new AppendRequest(InteropCorpus.Parse(message), message.Flags, message.Keywords) { InternalDate = message.InternalDate });
        return true;
    }

    /// <summary>The folder of that user-visible path; created when <paramref name="create"/> (null if refused), else null when missing.</summary>
    public static async Task<IMailFolder?> FolderAsync(ImapClient client, string path, SpecialFolder? role, bool create)
    {
        if (path.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) return client.Inbox;
        IMailFolder parent = client.GetFolder(client.PersonalNamespaces[0]);
        var levels = path.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var existing = (await parent.GetSubfoldersAsync(false)).FirstOrDefault(f => f.Name == levels[i]);
            if (existing is null && !create) return null;
            try
            {
                existing ??= i == levels.Length - 1 && role is { } use && client.Capabilities.HasFlag(ImapCapabilities.CreateSpecialUse)
                    ? await parent.CreateAsync(levels[i], [use])
                    : await parent.CreateAsync(levels[i], isMessageFolder: true);
            }
            catch (Exception e) when (e is ImapCommandException { Response: ImapCommandResponse.No } or ArgumentException)
            {
                return null;
            }
            parent = existing!;
        }
        return parent;
    }
}

/// <summary>
/// Issue 16's servers, each a private instance of its own on a loopback port: Dovecot 2.3 (folders at the root, "/",
/// SPECIAL-USE from its configuration, its sent folder "Sent Items"), Cyrus IMAP 3.6 ("INBOX." and ".", SPECIAL-USE and
/// CREATE-SPECIAL-USE) and Courier-IMAP 5.0 ("INBOX." and ".", no SPECIAL-USE: its accounts start with a "Sent" folder
/// here, as its webmail makes one, which only its name says is the sent folder).
/// </summary>
public sealed class InteropServers : IAsyncLifetime
{
    public DovecotServer Dovecot { get; } = new() { SentFolder = "Sent Items" };
    public CyrusServer Cyrus { get; } = new();
    public CourierServer Courier { get; } = new();

    public IReadOnlyList<InteropServer> All { get; private set; } = [];

    public InteropServer this[string name] => All.Single(s => s.Name == name);

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Dovecot.InitializeAsync(), Cyrus.InitializeAsync(), Courier.InitializeAsync());
        All =
        [
            new("Dovecot", Dovecot.Host, Dovecot.Port, Dovecot.AddUserAsync,
                (login, _, folder) => Dovecot.SetUidValidityAsync(login, folder, (uint)Random.Shared.Next(1000, int.MaxValue)),
                "Sent Items", new Dictionary<SpecialFolder, string> { [SpecialFolder.Sent] = "Sent Items" }),
            new("Cyrus", Cyrus.Host, Cyrus.Port, Cyrus.AddUserAsync,
                (login, password, folder) => Cyrus.ChangeUidValidityAsync(login, password, folder),
                "Sent", new Dictionary<SpecialFolder, string>()),
            new("Courier", Courier.Host, Courier.Port, Courier.AddUserAsync, Courier.ChangeUidValidityAsync,
                "Sent", new Dictionary<SpecialFolder, string> { [SpecialFolder.Sent] = "Sent" }),
        ];
    }

    public async Task DisposeAsync()
    {
        await Dovecot.DisposeAsync();
        await Cyrus.DisposeAsync();
        await Courier.DisposeAsync();
    }
}
