using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>A destination that refuses long keywords (Dovecot's mail_max_keyword_length), as servers with keyword rules do.</summary>
public sealed class KeywordLimitedPair : IAsyncLifetime
{
    public const int MaxKeywordLength = 20;

    public DovecotServer Source { get; } = new();
    public DovecotServer Destination { get; } = new() { ExtraConfig = $"mail_max_keyword_length = {MaxKeywordLength}\n" };

    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}

/// <summary>A message the destination refuses only for a keyword is still copied, and the keyword reported as not kept.</summary>
public sealed class KeywordRefusalTests(KeywordLimitedPair servers) : IClassFixture<KeywordLimitedPair>
{
    private const string Password = "pass-Word-1";
    private const string LongKeyword = "Customer-Project-2026-Follow-Up"; // longer than the destination takes
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Run_MessageWithAKeywordTheDestinationRefuses_CopiedWithoutItsKeywordsAndTheyAreReported()
    {
        var user = "kw" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        await AppendAsync(user, "plain", ["Done"]);
        await AppendAsync(user, "labelled", ["Done", LongKeyword], MessageFlags.Flagged);
        await AppendAsync(user, "after", []);

        var checkpoints = new MemoryCheckpoints();
        var result = await new MailboxMigration(_connector).RunAsync(Side(servers.Source, user), Side(servers.Destination, user),
            checkpoints, PassOptions.Full, default, default);

        // Nothing refused, all three copied; what the copy lacks is said.
        Assert.Equal((3, 0), (result.MessagesCopied, result.FailedMessages.Count));
        Assert.Equal([LongKeyword, "Done"], result.NotKept.Order(StringComparer.Ordinal));
        var copies = await FlagsBySubjectAsync(servers.Destination, user);
        Assert.Equal("Done", copies["plain"].Keywords);
        Assert.Equal((MessageFlags.Flagged, ""), (copies["labelled"].Flags, copies["labelled"].Keywords));
        Assert.Equal("", copies["after"].Keywords);

        // The user reads it in the old mailbox: a Delta carries \Seen over, and the keyword is still not there nor in the way.
        using (var client = new ImapClient())
        {
            await client.ConnectAsync(servers.Source.Host, servers.Source.Port, SecureSocketOptions.None);
            await client.AuthenticateAsync(user, Password);
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.AddFlagsAsync(await client.Inbox.SearchAsync(SearchQuery.SubjectContains("labelled")), MessageFlags.Seen, silent: true);
        }
        var delta = await new MailboxMigration(_connector).RunAsync(Side(servers.Source, user), Side(servers.Destination, user),
            checkpoints, new PassOptions { Kind = MigrationPortal.Core.Mailboxes.PassKind.Delta }, default, default);
        Assert.Equal((0, 1), (delta.MessagesCopied, delta.FlagsUpdated));
        Assert.Contains(LongKeyword, delta.NotKept);
        Assert.Equal((MessageFlags.Flagged | MessageFlags.Seen, "Done"), (await FlagsBySubjectAsync(servers.Destination, user))["labelled"]);
    }

    private static MigrationSide Side(DovecotServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));

    private async Task AppendAsync(string user, string subject, string[] keywords, MessageFlags flags = MessageFlags.None)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
        using var client = new ImapClient();
        await client.ConnectAsync(servers.Source.Host, servers.Source.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        await client.Inbox.AppendAsync(new AppendRequest(message, flags) { Keywords = new HashSet<string>(keywords) });
    }

    private static async Task<Dictionary<string, (MessageFlags Flags, string Keywords)>> FlagsBySubjectAsync(DovecotServer server, string user)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var all = await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Flags);
        return all.ToDictionary(m => m.Envelope!.Subject!,
            m => ((m.Flags ?? MessageFlags.None) & ~MessageFlags.Recent, string.Join(",", m.Keywords.Order(StringComparer.Ordinal))));
    }
}
