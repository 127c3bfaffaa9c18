using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Engine.Tests.Passes;
using Xunit.Abstractions;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>
/// Issue 16: the same corpus migrated in each direction between every pair of real IMAP implementations and verified
/// as a user would check it: every folder where it belongs (levels across delimiters and namespace prefixes, special
/// folders into the destination's own, names the destination refuses renamed by the documented rule and reported),
/// every message once with its bytes, Message-ID, flags and keywords (where the destination's PERMANENTFLAGS keep them;
/// reported where not) and INTERNALDATE. A second Full and a Delta copy nothing; nor does a Full after the source
/// gave a folder a new UIDVALIDITY (a restore, a rebuild).
/// </summary>
public sealed class InteropMigrationTests(InteropServers servers, ITestOutputHelper output) : IClassFixture<InteropServers>
{
    private const string Password = "interop-Pass-2";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(30));

    public static TheoryData<string, string> Directions => new()
    {
        { "Dovecot", "Cyrus" },
        { "Cyrus", "Dovecot" },
        { "Dovecot", "Courier" },
        { "Courier", "Dovecot" },
        { "Cyrus", "Courier" },
        { "Courier", "Cyrus" },
    };

    [Theory]
    [MemberData(nameof(Directions))]
    public async Task Corpus_MigratedAndVerified_AndNothingCopiedTwice(string from, string to)
    {
        var source = servers[from];
        var destination = servers[to];
        var user = $"i{Guid.NewGuid():N}"[..10];
        await source.AddUserAsync(user, Password);
        await destination.AddUserAsync(user, Password);

        // The source's corpus: every folder it takes. The destination: a fresh account with its own special folders.
        var seeded = new List<CorpusFolder>();
        using (var client = await source.LogInAsync(user, Password))
            foreach (var folder in InteropCorpus.Folders(user))
                if (await source.SeedAsync(client, source.NameFor(folder), folder.Role, folder.Messages))
                    seeded.Add(folder);
        using (var client = await destination.LogInAsync(user, Password))
            foreach (var (role, name) in destination.OwnFolders)
                await destination.SeedAsync(client, name, role, []);
        var sourceCapabilities = await CapabilitiesAsync(source, user);
        var destinationCapabilities = await CapabilitiesAsync(destination, user);
        var checkpoints = new MemoryCheckpoints();

        var first = await RunAsync(source, destination, user, checkpoints, PassOptions.Full);
        var original = await InteropMailbox.ReadAsync(source.Host, source.Port, user, Password);
        output.WriteLine($"{from} → {to}: {first.MessagesCopied} copied; renamed: {string.Join("; ", first.RenamedFolders)}; " +
            $"fallbacks: {string.Join(" ", first.Fallbacks)}; not kept: {string.Join(' ', first.NotKept)}");

        Assert.Equal(seeded.Sum(f => f.Messages.Count), original.MessageCount);
        Assert.Empty(first.FailedMessages);
        await AssertCopiedAsync(source, destination, user, seeded, original, first);
        Assert.Equal(original.MessageCount, first.MessagesCopied);
        // Stored as sent: no copy reported changed (Courier's sizes count a line end as one byte, and are no change).
        Assert.Equal(0, first.SizeMismatches);
        AssertFallbacksReported(first, sourceCapabilities, destinationCapabilities);

        var second = await RunAsync(source, destination, user, checkpoints, PassOptions.Full);
        var delta = await RunAsync(source, destination, user, checkpoints, new PassOptions { Kind = PassKind.Delta });
        Assert.Equal(0, second.MessagesCopied);
        Assert.Equal(0, delta.MessagesCopied);

        // The source restored from a backup: two nested folders get new UIDVALIDITYs, with the same messages. (Not INBOX:
        // Cyrus lets no user delete it, which is how its fixture renews a folder's UIDVALIDITY.)
        await source.ChangeUidValidityAsync(user, Password, "Projects/2026");
        await source.ChangeUidValidityAsync(user, Password, "Rechnungen/Ärzte & Co");
        var afterRestore = await RunAsync(source, destination, user, checkpoints, PassOptions.Full);
        Assert.Equal(0, afterRestore.MessagesCopied);
        Assert.Equal(original.MessageCount, afterRestore.MessagesSkipped);
        await AssertCopiedAsync(source, destination, user, seeded, original, first);
    }

    /// <summary>
    /// The writer knows where each destination folder stands (UIDNEXT), which is where a batch's journal starts: a
    /// crash's recovery looks only at what was appended after it. Courier's SELECT leaves UIDNEXT out.
    /// </summary>
    [Theory]
    [InlineData("Dovecot")]
    [InlineData("Cyrus")]
    [InlineData("Courier")]
    public async Task TheWriter_KnowsEachFoldersUidNext(string server)
    {
        var destination = servers[server];
        var user = $"n{Guid.NewGuid():N}"[..10];
        await destination.AddUserAsync(user, Password);
        uint expected;
        using (var client = await destination.LogInAsync(user, Password))
        {
            var seed = InteropCorpus.Folders(user).Single(f => f.Path == "Rechnungen/Ärzte & Co");
            await destination.SeedAsync(client, seed.Path, null, seed.Messages);
            var folder = (await InteropServer.FolderAsync(client, seed.Path, null, create: false))!;
            await folder.StatusAsync(StatusItems.UidNext);
            expected = folder.UidNext!.Value.Id;
        }

        await using var writer = await _connector.ConnectAppendWriterAsync(
            new ImapEndpoint(destination.Host, destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var personal = server == "Dovecot" ? "" : "INBOX.";
        var separator = server == "Dovecot" ? '/' : '.';
        var selected = await writer.SelectAsync(personal + "Rechnungen" + separator + "Ärzte & Co", default);

        Assert.Equal(expected, selected.UidNext);
        Assert.True(expected > 2, $"{server} gave UIDNEXT {expected} after two messages");
    }

    /// <summary>
    /// A message whose header has raw UTF-8 (internationalised mail, RFC 6532): Courier stores it as sent; Cyrus, as
    /// configured by default (munge8bit), replaces each 8-bit byte with "X", same length, so the subject is unreadable.
    /// No size shows that: the pass reads such copies back and reports the change.
    /// </summary>
    [Theory]
    [InlineData("Courier", false)]
    [InlineData("Cyrus", true)]
    public async Task RawUtf8Headers_CopiedAsSent_OrTheDestinationsChangeIsReported(string to, bool changes)
    {
        var destination = servers[to];
        var user = $"h{Guid.NewGuid():N}"[..10];
        await servers.Dovecot.AddUserAsync(user, Password);
        await destination.AddUserAsync(user, Password);
        await servers.Dovecot.SaveRawAsync(user, "INBOX", System.Text.Encoding.UTF8.GetBytes(
            "From: Jürgen <j@example.org>\r\nTo: b@example.org\r\nSubject: Grüße aus Köln\r\nMessage-ID: <utf8@example.org>\r\n\r\nHallo\r\n"));
        await servers.Dovecot.SaveRawAsync(user, "INBOX", System.Text.Encoding.UTF8.GetBytes(
            "From: a@example.org\r\nTo: b@example.org\r\nSubject: plain\r\nMessage-ID: <ascii@example.org>\r\n\r\nGrüße only in the body\r\n"));

        var result = await RunAsync(servers["Dovecot"], destination, user, new MemoryCheckpoints(), PassOptions.Full);

        var original = await InteropMailbox.ReadAsync(servers.Dovecot.Host, servers.Dovecot.Port, user, Password);
        var copied = await InteropMailbox.ReadAsync(destination.Host, destination.Port, user, Password);
        Assert.Equal(2, result.MessagesCopied);
        var utf8 = copied.Folders["INBOX"].Messages.Single(m => m.MessageId == "<utf8@example.org>");
        Assert.Equal(changes, !original.Folders["INBOX"].Messages.Any(m => m.Sha256 == utf8.Sha256));
        Assert.Contains(copied.Folders["INBOX"].Messages, m => m.MessageId == "<ascii@example.org>"
            && original.Folders["INBOX"].Messages.Any(o => o.Sha256 == m.Sha256));
        Assert.Equal(changes ? 1 : 0, result.SizeMismatches);
    }

    /// <summary>
    /// Every source folder's messages are in the folder the pass should have put them in, each exactly once, and the
    /// destination holds nothing else; renames follow the rule and only happen where the destination refuses the name.
    /// </summary>
    private async Task AssertCopiedAsync(InteropServer source, InteropServer destination, string user, IReadOnlyList<CorpusFolder> seeded,
        InteropMailbox original, PassResult result)
    {
        var copied = await InteropMailbox.ReadAsync(destination.Host, destination.Port, user, Password);
        var problems = new List<string>();
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in seeded)
        {
            var sourceName = source.NameFor(folder);
            var rename = result.RenamedFolders.SingleOrDefault(r => r.Source == sourceName);
            var target = folder.Role is { } role && destination.OwnFolders.TryGetValue(role, out var own) ? own : rename?.Destination ?? sourceName;
            expectedNames.Add(target);
            if (rename is not null)
            {
                Assert.Equal(string.Join('/', sourceName.Split('/').Select(level => ServerDifferences.Portable(level) ?? level)), rename.Destination);
                Assert.False(await AcceptsNameAsync(destination, user, sourceName), $"{sourceName} was renamed, but {destination.Name} takes the name");
            }
            var wanted = original.Folders[sourceName];
            if (!copied.Folders.TryGetValue(target, out var there))
            {
                problems.Add($"{sourceName} → {target}: missing on {destination.Name} (it has {string.Join(", ", copied.Folders.Keys)})");
                continue;
            }
            problems.AddRange(Compare(sourceName, wanted, there, result));
        }
        foreach (var extra in copied.Folders.Values.Where(f => !expectedNames.Contains(f.Name) && f.Messages.Count > 0))
            problems.Add($"{extra.Name}: {extra.Messages.Count} messages the source does not have there");
        // Names the destination refuses are exactly the renamed ones: "Ideas!" on Cyrus, "~Notes" on Dovecot.
        foreach (var folder in seeded.Where(f => f.Path is "Ideas!" or "~Notes"))
            if (!await AcceptsNameAsync(destination, user, folder.Path))
                Assert.Contains(result.RenamedFolders, r => r.Source == folder.Path);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The copies of one folder against the source's: bytes, Message-ID and INTERNALDATE exactly; flags and keywords where kept.</summary>
    private static IEnumerable<string> Compare(string name, InteropFolder wanted, InteropFolder there, PassResult result)
    {
        if (there.Messages.Count != wanted.Messages.Count)
            yield return $"{name}: {there.Messages.Count} messages, expected {wanted.Messages.Count}";
        var remaining = there.Messages.ToList();
        foreach (var message in wanted.Messages)
        {
            var copy = remaining.FirstOrDefault(m => m.Sha256 == message.Sha256);
            if (copy is null)
            {
                yield return $"{name}: {message} not copied byte for byte";
                continue;
            }
            remaining.Remove(copy);
            if (copy.MessageId != message.MessageId) yield return $"{name}: Message-ID {copy.MessageId}, expected {message.MessageId}";
            if (copy.InternalDate?.ToUniversalTime() != message.InternalDate?.ToUniversalTime())
                yield return $"{name}: {message.MessageId} INTERNALDATE {copy.InternalDate:O}, expected {message.InternalDate:O}";
            var flags = message.Flags & there.PermanentFlags;
            if (copy.Flags != flags) yield return $"{name}: {message.MessageId} flags [{copy.Flags}], expected [{flags}]";
            foreach (var keyword in message.Keywords)
                if (!copy.Keywords.Contains(keyword) && !result.NotKept.Contains(keyword))
                    yield return $"{name}: {message.MessageId} lost the keyword {keyword} without the pass saying so";
        }
    }

    /// <summary>Each extension the pass uses that a side lacks is listed with what the pass did instead; none that it has.</summary>
    private static void AssertFallbacksReported(PassResult result, ImapCapabilities source, ImapCapabilities destination)
    {
        (string Side, string Extension, bool Has)[] expected =
        [
            ("source", "LIST-STATUS", source.HasFlag(ImapCapabilities.ListStatus)),
            ("source", "CONDSTORE", source.HasFlag(ImapCapabilities.CondStore)),
            ("source", "SPECIAL-USE", (source & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) != 0),
            ("destination", "LIST-STATUS", destination.HasFlag(ImapCapabilities.ListStatus)),
            ("destination", "SPECIAL-USE", (destination & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) != 0),
            ("destination", "MULTIAPPEND", destination.HasFlag(ImapCapabilities.MultiAppend)),
            ("destination", "LITERAL+", destination.HasFlag(ImapCapabilities.LiteralPlus)),
            ("destination", "UIDPLUS", destination.HasFlag(ImapCapabilities.UidPlus)),
        ];
        foreach (var (side, extension, has) in expected)
            Assert.True(has != result.Fallbacks.Any(f => f.Side == side && f.Extension == extension),
                $"{side} {(has ? "has" : "lacks")} {extension}; the pass reported: {string.Join(" ", result.Fallbacks)}");
    }

    /// <summary>Whether the destination takes the name itself: it has such a folder, or one is created (and deleted again).
    /// The name exactly: Courier refuses "~Notes" sent as an atom and takes "~Notes probe", which goes quoted.</summary>
    private static async Task<bool> AcceptsNameAsync(InteropServer server, string user, string name)
    {
        using var client = await server.LogInAsync(user, Password);
        if (await InteropServer.FolderAsync(client, name, null, create: false) is not null) return true;
        var created = await InteropServer.FolderAsync(client, name, null, create: true);
        if (created is null) return false;
        await created.DeleteAsync();
        return true;
    }

    private static async Task<ImapCapabilities> CapabilitiesAsync(InteropServer server, string user)
    {
        using var client = await server.LogInAsync(user, Password);
        return client.Capabilities;
    }

    private Task<PassResult> RunAsync(InteropServer from, InteropServer to, string user, MemoryCheckpoints checkpoints, PassOptions options) =>
        new MailboxMigration(_connector).RunAsync(Side(from, user), Side(to, user), checkpoints, options, default, default);

    private static MigrationSide Side(InteropServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));
}
