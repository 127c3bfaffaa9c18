using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace MigrationPortal.Bench;

/// <summary>A benchmark server and user: host:port on loopback, plain text (the servers are private and local).</summary>
public sealed record Account(string Host, int Port, string User, string Password)
{
    public static Account Parse(string hostPort, string user, string password)
    {
        var colon = hostPort.LastIndexOf(':');
        return colon <= 0
            ? throw new ArgumentException($"'{hostPort}' is not host:port.")
            : new Account(hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture), user, password);
    }

    public async Task<ImapClient> ConnectAsync(CancellationToken ct = default)
    {
        var client = new ImapClient { Timeout = 120_000 };
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None, ct);
        await client.AuthenticateAsync(User, Password, ct);
        return client;
    }

    public override string ToString() => $"{User}@{Host}:{Port}";
}

internal static class Folders
{
    /// <summary>
    /// Every selectable folder of the personal namespace, INBOX included where the namespace's prefix is "INBOX." (Cyrus,
    /// Courier: listing below it does not return INBOX itself).
    /// </summary>
    public static async Task<List<IMailFolder>> SelectableAsync(ImapClient client, CancellationToken ct = default)
    {
        var all = await client.GetFoldersAsync(client.PersonalNamespaces[0], cancellationToken: ct);
        if (client.Inbox is { } inbox && !all.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
            all = [inbox, .. all];
        return [.. all.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect) && !f.Attributes.HasFlag(FolderAttributes.NonExistent))
            .OrderBy(f => f.FullName, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The folder as the user sees it, whatever the server's layout: its levels below the personal namespace's prefix
    /// joined with "/" (Cyrus's "INBOX.Archive.2019" and Dovecot's "Archive/2019" are both "Archive/2019"), INBOX as INBOX.
    /// </summary>
    public static string UserPath(ImapClient client, IMailFolder folder)
    {
        var prefix = client.PersonalNamespaces[0].Path;
        var name = prefix.Length > 0 && folder.FullName.Length > prefix.Length && folder.FullName.StartsWith(prefix, StringComparison.Ordinal)
            ? folder.FullName[prefix.Length..].TrimStart(folder.DirectorySeparator)
            : folder.FullName;
        return folder.DirectorySeparator is '/' or '\0' ? name : name.Replace(folder.DirectorySeparator, '/');
    }

    /// <summary>The folder of that path (as <see cref="UserPath"/> names it), created with its parents when missing.</summary>
    public static async Task<IMailFolder> GetOrCreateAsync(ImapClient client, string path, CancellationToken ct = default)
    {
        if (path.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            return client.Inbox;
        var ns = client.PersonalNamespaces[0];
        var prefix = ns.Path.Length == 0 ? "" : ns.Path.TrimEnd(ns.DirectorySeparator) + ns.DirectorySeparator;
        try
        {
            return await client.GetFolderAsync(prefix + path.Replace('/', ns.DirectorySeparator), ct);
        }
        catch (FolderNotFoundException)
        {
        }
        var folder = client.GetFolder(ns) ?? throw new InvalidOperationException("The server has no personal namespace.");
        foreach (var name in path.Split('/'))
        {
            var children = await folder.GetSubfoldersAsync(cancellationToken: ct);
            folder = children.FirstOrDefault(c => c.Name == name) ?? await folder.CreateAsync(name, isMessageFolder: true, ct)
                ?? throw new InvalidOperationException($"The server did not create '{name}'.");
        }
        return folder;
    }
}
