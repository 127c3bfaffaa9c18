using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.Faults;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>
/// A connection that breaks in the middle of a message, as a NAT timeout or a crashing server breaks it: inside a
/// FETCH's literal on the source, inside an APPEND's literal on the destination, or after the destination stored an
/// APPEND but before its answer arrived. The pass reconnects, resumes, and the destination holds every message once.
/// </summary>
public sealed class ConnectionCutTests(UnlimitedPair servers) : IClassFixture<UnlimitedPair>
{
    private const string Password = "pass-Word-1";

    // Eight messages of 1.5 MB: a batch is at most 8 MiB, so five go in the first batch and three in the second. A cut in
    // the first meets the journal written before any batch; one in the second comes after the first batch was appended
    // and checkpointed, so the retry has to resume, not restart.
    private const int Messages = 8;
    private const int MessageSize = 1_500_000;
    private const int FirstBatch = 5;

    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, FirstBatch)]
    public async Task Run_SourceCutInsideAFetchedBody_RetriedAndEveryMessageThereOnce(int batch, int heldWhenCut)
    {
        var user = await SeedAsync();
        await using var source = new CuttingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new CuttingProxy(servers.Destination.Host, servers.Destination.Port);
        // 700 KB into the answer to the batch's body FETCH: inside its first literal.
        source.CutOnce(CutDirection.ServerToClient, 700_000, marker: "BODY.PEEK[]", occurrence: batch);

        await RunAndAssertEveryMessageOnceAsync(user, source, destination, source, heldWhenCut);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, FirstBatch)]
    public async Task Run_DestinationCutInsideAnAppendedBody_RetriedAndEveryMessageThereOnce(int batch, int heldWhenCut)
    {
        var user = await SeedAsync();
        await using var source = new CuttingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new CuttingProxy(servers.Destination.Host, servers.Destination.Port);
        // 2.2 MB into the batch's MULTIAPPEND: its first message was sent whole, the second is cut 700 KB in. The server
        // stores none of the batch (MULTIAPPEND is atomic, as the count at the retry checks), so the retry must append
        // all of it again, and nothing of an earlier batch a second time.
        destination.CutOnce(CutDirection.ClientToServer, 2_200_000, marker: " APPEND ", occurrence: batch);

        await RunAndAssertEveryMessageOnceAsync(user, source, destination, destination, heldWhenCut);
    }

    [Theory]
    [InlineData(1, FirstBatch)]
    [InlineData(2, Messages)]
    public async Task Run_DestinationAnswerToAnAppendLost_RetriedAndStoredBatchNotAppendedAgain(int batch, int heldWhenCut)
    {
        var user = await SeedAsync();
        await using var source = new CuttingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new CuttingProxy(servers.Destination.Host, servers.Destination.Port);
        // The server answers an APPEND only once it has stored the whole command (LITERAL+: no continuation before), so
        // cutting at its first byte after the batch's APPEND loses exactly the answer: the batch is stored, the engine
        // cannot know it, and only its journal and the adoption by identity keep it from appending the batch again.
        destination.CutOnce(CutDirection.ServerToClient, 0, marker: " APPEND ", occurrence: batch);

        await RunAndAssertEveryMessageOnceAsync(user, source, destination, destination, heldWhenCut);
    }

    [Fact]
    public async Task Run_DeltaDestinationAnswerToAFlagStoreLost_RetriedAndFlagsAsOnTheSource()
    {
        var user = "cut" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        for (var i = 0; i < 3; i++)
            await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes($"From: ada@example.org\r\nSubject: m{i}\r\nMessage-ID: <m{i}.{user}@example.org>\r\n\r\nbody {i}\r\n"));
        var checkpoints = new MemoryCheckpoints();
        await using var source = new CuttingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new CuttingProxy(servers.Destination.Host, servers.Destination.Port);
        var retries = new List<(Exception Fault, List<string> Flags)>();
        var migration = new MailboxMigration(_connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(200) })
        {
            OnRetry = (fault, _) => retries.Add((fault, FlagsAsync(servers.Destination, user).GetAwaiter().GetResult())),
        };
        Assert.Equal(3, (await migration.RunAsync(Side(source, user), Side(destination, user), checkpoints, PassOptions.Full, default, default)).MessagesCopied);
        await FlagAllAsync(servers.Source, user);
        // The Delta carries the flags over with one UID STORE on the destination's own connection: the server applies
        // it, then its answer is lost, and the folder, closed by the broken connection, must not hide that fault.
        destination.CutOnce(CutDirection.ServerToClient, 0, marker: "UID STORE ");

        var delta = await migration.RunAsync(Side(source, user), Side(destination, user), checkpoints, new PassOptions { Kind = PassKind.Delta }, default, default);

        Assert.Equal(1, destination.Cuts);
        var (fault, flagsWhenCut) = Assert.Single(retries);
        Assert.True(fault is IOException, fault.ToString());
        Assert.Equal(["Flagged", "Flagged", "Flagged"], flagsWhenCut); // the STORE was applied: only its answer was lost
        Assert.Equal(["Flagged", "Flagged", "Flagged"], await FlagsAsync(servers.Destination, user));
        // Not asserted: FlagsUpdated, 0 here. The retry finds the flags already set, and what the broken attempt stored
        // is not counted (unlike copies, adopted as this pass's work): the report undercounts, the mailbox is right.
        Assert.Equal(0, delta.MessagesCopied);
    }

    private async Task FlagAllAsync(DovecotServer server, string user)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await session.Store.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var all = await session.Store.Inbox.SearchAsync(MailKit.Search.SearchQuery.All);
        await session.Store.Inbox.StoreAsync(all, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { Silent = true });
    }

    private async Task<List<string>> FlagsAsync(DovecotServer server, string user)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await session.Store.Inbox.OpenAsync(FolderAccess.ReadOnly);
        return [.. (await session.Store.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags)).Select(m => ((m.Flags ?? MessageFlags.None) & ~MessageFlags.Recent).ToString())];
    }

    /// <param name="heldWhenCut">
    /// How many messages the destination holds when the pass is about to retry: where the cut landed, so that a test
    /// whose cut slipped elsewhere (before the batch, after its answer) fails instead of proving nothing.
    /// </param>
    private async Task RunAndAssertEveryMessageOnceAsync(string user, CuttingProxy source, CuttingProxy destination, CuttingProxy cutting, int heldWhenCut)
    {
        var retries = new List<(Exception Fault, int Held)>();
        var migration = new MailboxMigration(_connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(200) })
        {
            // Counted straight from the server, not through the proxy, while the pass waits to retry.
            OnRetry = (fault, _) => retries.Add((fault, CountAsync(servers.Destination, user).GetAwaiter().GetResult())),
        };
        var connectionsBefore = cutting.Connections;

        var result = await migration.RunAsync(Side(source, user), Side(destination, user), new MemoryCheckpoints(), PassOptions.Full, default, default);

        // The fault really happened, where it was meant to, and the pass came back over a new connection.
        Assert.Equal(1, cutting.Cuts);
        var (fault, held) = Assert.Single(retries);
        // What the pass reports it retries after (the admin's log) is the broken connection itself, not a consequence.
        Assert.True(fault is IOException, fault.ToString());
        Assert.Equal(heldWhenCut, held);
        Assert.True(cutting.Connections > connectionsBefore);
        Assert.Equal(Messages, result.MessagesFound);
        Assert.Equal(Messages, result.MessagesCopied);
        Assert.Equal((long)Messages * MessageSize, result.BytesCopied);
        Assert.Equal(0, result.MessagesSkipped);
        Assert.Empty(result.FailedMessages);
        Assert.Equal(0, result.SizeMismatches);
        var copies = (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines;
        Assert.True(copies.Count == Messages, $"The destination holds {copies.Count} messages for the source's {Messages}.");
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, copies);
    }

    /// <summary>A user with <see cref="Messages"/> distinct messages of exactly <see cref="MessageSize"/> bytes in the source's INBOX.</summary>
    private async Task<string> SeedAsync()
    {
        var user = "cut" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        for (var i = 0; i < Messages; i++)
        {
            var message = new StringBuilder($"From: ada@example.org\r\nSubject: large {i}\r\nMessage-ID: <large{i}.{user}@example.org>\r\n\r\n");
            var line = new string((char)('a' + i), 76) + "\r\n";
            while (message.Length + line.Length <= MessageSize) message.Append(line);
            message.Append('z', MessageSize - message.Length);
            await servers.Source.SaveRawAsync(user, "INBOX", Encoding.ASCII.GetBytes(message.ToString()));
        }
        return user;
    }

    private async Task<int> CountAsync(DovecotServer server, string user)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await session.Store.Inbox.StatusAsync(StatusItems.Count);
        return session.Store.Inbox.Count;
    }

    private static MigrationSide Side(CuttingProxy proxy, string user) =>
        new(new ImapEndpoint(proxy.Host, proxy.Port, TlsMode.None), new ImapLogin(user, Password));

}
