using System.Globalization;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>
/// Folder names are the one part of a mailbox its owner types into IMAP syntax: a name that carries quoting, literal
/// or wildcard syntax must be copied as that name, into that folder, and be found again by the next pass; it must never
/// end a quoted string early, announce a literal, or make a LIST pattern match another folder.
/// </summary>
public sealed class HostileFolderNameTests(UnlimitedPair servers) : IClassFixture<UnlimitedPair>
{
    private const string Password = "pass-Word-1";

    // Every name here was accepted by Dovecot 2.3.19 (maildir, '/' separator). Dovecot itself refused, and so they are not
    // tested: a control character (CR, LF: "Control characters not allowed in new mailbox names"), a '.' (maildir++ keeps
    // the hierarchy as dots on disk: "Character not allowed in mailbox name: '.'"), a leading '~' ("Begins with '~'"),
    // and a name of 255 bytes or more (the maildir directory name, a '.' plus the name, outgrows the file system's 255).
    private static readonly string[] HostileNames =
    [
        "Quote\"Inside",
        "Back\\slash",
        "Literal{5}",
        "{5}",
        "Star*",
        "*",
        "Percent%",
        "%",
        "Paren (x)",
        "Bracket [x]",
        // Each beside the name it would become if a space were trimmed, or a case folded, on the way: both must stay.
        " Leading space",
        "Leading space",
        "Trailing space ",
        "Trailing space",
        "STAR*",
        "star*",
        "Amp & Co",
        // '&' opens modified UTF-7: "&-" is how '&' itself is sent, "&AMQ-" how 'Ä' is. As names they are text: decoding
        // them once more on the way (or not encoding them) would copy them into "&" and "Ä".
        "&-",
        "&AMQ-",
        "Ärzte ✓ 密码 📬",
        "a\" LOGOUT",
        "NIL",
        "INBOX*",
        // A parent and a child that both carry wildcards: "Parent*/%" as a LIST pattern matches every child of every
        // folder starting with "Parent".
        "Parent*",
        "Parent*/Child%",
        new string('L', 254),
    ];

    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Run_FolderNamesWithImapSyntax_DestinationHoldsExactlyThoseFoldersAndMessagesAndSecondPassCopiesNothing()
    {
        var user = await UserAsync();
        string[] folders = ["INBOX", .. HostileNames];
        for (var i = 0; i < folders.Length; i++)
            await servers.Source.SaveRawAsync(user, folders[i], Message(i, "hostile"));
        var source = await MailboxContent.ReadAsync(servers.Source, user, Password);
        // The fixture made exactly these names (doveadm takes them as UTF-8, not as IMAP syntax), so what follows tests the
        // engine, not the set-up.
        Assert.Equal(folders.Order(StringComparer.Ordinal), source.Folders.Keys);
        var checkpoints = new MemoryCheckpoints();

        var first = await RunAsync(user, checkpoints, PassOptions.Full);

        var destination = await MailboxContent.ReadAsync(servers.Destination, user, Password);
        Assert.True(destination.DifferencesFrom(source).Count == 0,
            "The destination differs from the source:\n" + string.Join('\n', destination.DifferencesFrom(source)));
        Assert.Equal(folders.Length, first.MessagesCopied);
        Assert.Empty(first.FailedMessages);
        // \Noselect folders too: a name cut at a quote or a space would have left a folder named after the fragment.
        Assert.Equal(await AllFolderNamesAsync(servers.Source, user), await AllFolderNamesAsync(servers.Destination, user));

        var second = await RunAsync(user, checkpoints, PassOptions.Full);
        var delta = await RunAsync(user, checkpoints, new PassOptions { Kind = PassKind.Delta });

        // The next passes find each folder again under its own name: nothing copied twice, no folder seen as new.
        Assert.Equal(0, second.MessagesCopied);
        Assert.Equal(0, delta.MessagesCopied);
        Assert.Equal(delta.Folders, delta.FoldersUnchanged);
        Assert.Empty((await MailboxContent.ReadAsync(servers.Destination, user, Password)).DifferencesFrom(source));
    }

    [Fact]
    public async Task Run_DestinationHasFoldersAWildcardWouldMatch_EachMessageGoesToTheFolderOfItsExactName()
    {
        var user = await UserAsync();
        // Already on the destination: folders that LIST "" "Foo*", "Foo*/%" and "*" match besides the exact names.
        string[] existing = ["Foo", "FooBar", "FooBar/Sub", "*"];
        for (var i = 0; i < existing.Length; i++)
            await servers.Destination.SaveRawAsync(user, existing[i], Message(i, "already there"));
        string[] copied = ["Foo*", "Foo*/Sub", "Foo%", "*"];
        for (var i = 0; i < copied.Length; i++)
            await servers.Source.SaveRawAsync(user, copied[i], Message(i, "copied"));
        var before = await MailboxContent.ReadAsync(servers.Destination, user, Password);
        var source = await MailboxContent.ReadAsync(servers.Source, user, Password);
        var checkpoints = new MemoryCheckpoints();

        var first = await RunAsync(user, checkpoints, PassOptions.Full);
        var second = await RunAsync(user, checkpoints, PassOptions.Full);

        // What was there stays where it was; each copied message is in the folder of its own name, and only there.
        var expected = Lines(before).Concat(Lines(source)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, Lines(await MailboxContent.ReadAsync(servers.Destination, user, Password)));
        Assert.Equal(copied.Length, first.MessagesCopied);
        Assert.Equal(0, second.MessagesCopied);
    }

    private async Task<string> UserAsync()
    {
        var user = "hostile" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        return user;
    }

    private Task<PassResult> RunAsync(string user, MemoryCheckpoints checkpoints, PassOptions options) =>
        // Two folders at once (the default): the second lane looks each folder up again by its name (GetFolderAsync,
        // a LIST with the name as its pattern), the lookup a wildcard in the name could confuse.
        new MailboxMigration(_connector) { FoldersAtOnce = 2 }.RunAsync(Side(servers.Source, user), Side(servers.Destination, user),
            checkpoints, options, default, default);

    private static MigrationSide Side(DovecotServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));

    // Distinct bytes per message, so a message in the wrong folder shows as one missing there and one extra elsewhere.
    private static byte[] Message(int i, string what) => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"From: ada@example.org\r\nSubject: {what} {i}\r\nMessage-ID: <{what.Replace(' ', '-')}-{i}-{Guid.NewGuid():N}@example.org>\r\n\r\nbody {i}\r\n"));

    private static IEnumerable<string> Lines(MailboxContent content) =>
        content.Folders.SelectMany(f => f.Value.Select(hash => $"{f.Key} {hash}")).Order(StringComparer.Ordinal);

    /// <summary>Every folder the server lists, selectable or not, as MailKit decodes the names.</summary>
    private static async Task<List<string>> AllFolderNamesAsync(DovecotServer server, string user)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        var names = (await client.GetFoldersAsync(client.PersonalNamespaces[0], subscribedOnly: false, cancellationToken: default))
            .Where(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent))
            .Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
        await client.DisconnectAsync(quit: true);
        return names;
    }
}
