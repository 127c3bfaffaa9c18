using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.Faults;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>
/// A provider's limits met in mid-pass, answered by a proxy in front of the real servers exactly as Microsoft 365 and
/// Gmail word them: the pass waits as long as it is told and resumes from its checkpoints with nothing copied twice,
/// or ends with Gmail's daily cap and leaves the rest to the next pass; and a cap on connections is kept.
/// </summary>
public sealed class ThrottlingTests(UnlimitedPair servers) : IClassFixture<UnlimitedPair>
{
    private const string Password = "pass-Word-1";
    private const int SuggestedMs = 1500;
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    // 120 messages in INBOX (batches of 50, 50, 20) and 30 in Projects: the second body FETCH or APPEND is in mid-pass,
    // with a batch already appended and checkpointed, and two lanes at work.
    private const int InInbox = 120, InProjects = 30, Total = InInbox + InProjects;

    public static TheoryData<string, string[], bool> SourceAnswers => new()
    {
        // A tagged NO, as imap_tools #135 saw on FETCH.
        { "NO", [ThrottlingProxy.MicrosoftThrottled(SuggestedMs)], false },
        // A tagged BAD, as imapsync's FAQ quotes it.
        { "BAD", [ThrottlingProxy.MicrosoftThrottled(SuggestedMs, "BAD")], false },
        // An untagged BYE with the words, then the connection closed.
        { "BYE", [$"* BYE Request is throttled. Suggested Backoff Time: {SuggestedMs} milliseconds"], true },
        // A tagged BAD followed at once by "* BYE Connection closed. 14" (email-oauth2-proxy #191): MailKit throws the
        // BYE's text and loses the BAD's (MailKit #849); the connection's protocol watcher kept the BAD's words.
        { "BAD and BYE", [ThrottlingProxy.MicrosoftThrottled(SuggestedMs, "BAD"), "* BYE Connection closed. 14"], true },
    };

    [Theory]
    [MemberData(nameof(SourceAnswers))]
    public async Task Run_SourceThrottlesABodyFetch_WaitsAsSuggestedAndEveryMessageThereOnce(string kind, string[] answer, bool thenClose)
    {
        var user = await SeedAsync(InInbox, InProjects);
        await using var source = new ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new ThrottlingProxy(servers.Destination.Host, servers.Destination.Port);
        source.AnswerOnce("BODY.PEEK[]", occurrence: 2, answer, thenClose);

        await RunThrottledAndAssertEveryMessageOnceAsync(user, source, destination, throttling: source, kind);
    }

    public static TheoryData<string, string[], bool> AppendAnswers => new()
    {
        { "NO", [ThrottlingProxy.MicrosoftThrottled(SuggestedMs)], false },
        { "BAD and BYE", [ThrottlingProxy.MicrosoftThrottled(SuggestedMs, "BAD"), "* BYE Connection closed. 14"], true },
        { "untagged NO, then closed", [$"* NO Request is throttled. Suggested Backoff Time: {SuggestedMs} milliseconds"], true },
    };

    [Theory]
    [MemberData(nameof(AppendAnswers))]
    public async Task Run_DestinationThrottlesAnAppend_WaitsAsSuggestedAndEveryMessageThereOnce(string kind, string[] answer, bool thenClose)
    {
        var user = await SeedAsync(InInbox, InProjects);
        await using var source = new ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new ThrottlingProxy(servers.Destination.Host, servers.Destination.Port);
        // The writer's MULTIAPPEND of a batch: refused whole, so none of it is stored, and none of it may be reported as
        // a message the destination refused (the writer used to list all 50).
        destination.AnswerOnce(" APPEND ", occurrence: 2, answer, thenClose);

        await RunThrottledAndAssertEveryMessageOnceAsync(user, source, destination, throttling: destination, "APPEND " + kind);
    }

    private async Task RunThrottledAndAssertEveryMessageOnceAsync(string user, ThrottlingProxy source, ThrottlingProxy destination, ThrottlingProxy throttling,
        string kind)
    {
        var throttled = new List<(TimeSpan Wait, string Words)>();
        var retries = new List<Exception>();
        // Transient retries wait 200 ms: a throttling answer taken for an ordinary fault would come back far sooner than told.
        var migration = new MailboxMigration(_connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(200) })
        {
            OnThrottled = (wait, words) => throttled.Add((wait, words)),
            OnRetry = (fault, _) => retries.Add(fault),
        };

        var result = await migration.RunAsync(Side(source, user), Side(destination, user), new MemoryCheckpoints(), PassOptions.Full, default, default);

        Assert.Equal(1, throttling.Answered);
        Assert.True(throttled.Count == 1, $"{kind}: throttled {throttled.Count} times; retried after: {string.Join(" / ", retries.Select(r => r.GetType().Name + ": " + r.Message))}");
        var (wait, words) = throttled[0];
        Assert.Equal(TimeSpan.FromMilliseconds(SuggestedMs), wait);
        Assert.Contains($"Request is throttled. Suggested Backoff Time: {SuggestedMs} milliseconds", words);
        Assert.Empty(retries);
        // It waited at least as told before it came back (the system clock; a lower bound only).
        var back = throttling.FirstConnectionAfterAnswer;
        Assert.True(back >= TimeSpan.FromMilliseconds(SuggestedMs), $"{kind}: reconnected {back?.TotalMilliseconds} ms after the throttling answer");
        Assert.Equal(1, result.ThrottledWaits);
        Assert.Equal(TimeSpan.FromMilliseconds(SuggestedMs), result.ThrottledFor);
        Assert.Equal(words, result.LastThrottling);
        Assert.Null(result.TransferCapReached);
        Assert.Empty(result.FailedMessages);
        Assert.Equal(Total, result.MessagesFound);
        Assert.Equal(Total, result.MessagesCopied);
        Assert.Equal(0, result.MessagesSkipped);
        var copies = (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines;
        Assert.True(copies.Count == Total, $"{kind}: the destination holds {copies.Count} messages for the source's {Total}.");
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, copies);
    }

    [Fact]
    public async Task Run_GmailDailyCapOnAFetch_EndsWithTheCapKeepsWhatWasCopiedAndTheNextPassCopiesTheRest()
    {
        var user = await SeedAsync(InInbox, 0);
        await using var source = new ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new ThrottlingProxy(servers.Destination.Host, servers.Destination.Port);
        source.AnswerOnce("BODY.PEEK[]", occurrence: 2, [ThrottlingProxy.GmailOverQuota]);
        var checkpoints = new MemoryCheckpoints();
        var retries = 0;
        var throttled = 0;
        var migration = new MailboxMigration(_connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(10) })
        {
            OnRetry = (_, _) => retries++,
            OnThrottled = (_, _) => throttled++,
        };

        var capped = await migration.RunAsync(Side(source, user), Side(destination, user), checkpoints, PassOptions.Full, default, default);

        Assert.Equal(1, source.Answered);
        // MailKit keeps the response code apart from the text: the words are what follows "[OVERQUOTA]".
        Assert.Equal("Account exceeded command or bandwidth limits.", capped.TransferCapReached);
        Assert.Contains("daily IMAP transfer limit", ProviderLimits.DescribeCap(capped.TransferCapReached!));
        Assert.False(capped.Stopped);
        Assert.Equal(0, retries); // not retried in a loop: the cap lasts the day
        Assert.Equal(0, throttled);
        Assert.Equal(50, capped.MessagesCopied); // the first batch, appended and checkpointed before the second FETCH was refused
        Assert.Equal(50, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines.Count);

        var next = await migration.RunAsync(Side(source, user), Side(destination, user), checkpoints, PassOptions.Full, default, default);

        Assert.Null(next.TransferCapReached);
        Assert.Equal(InInbox - 50, next.MessagesCopied);
        Assert.Equal(50, next.MessagesSkipped);
        var copies = (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines;
        Assert.True(copies.Count == InInbox, $"The destination holds {copies.Count} messages for the source's {InInbox}.");
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, copies);
    }

    [Theory]
    [InlineData(null, 6)]
    [InlineData(3, 3)]
    [InlineData(5, 3)]
    [InlineData(20, 6)]
    public async Task Run_MaxConnections_NeverMoreOpenAtOnceAndEverythingCopied(int? maxConnections, int expectedPeak)
    {
        var user = await SeedAsync(20, 20, extraFolder: "Archive");
        await using var source = new ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        await using var destination = new ThrottlingProxy(servers.Destination.Host, servers.Destination.Port);
        var migration = new MailboxMigration(_connector) { FoldersAtOnce = 2, MaxConnections = maxConnections };

        var result = await migration.RunAsync(Side(source, user), Side(destination, user), new MemoryCheckpoints(), PassOptions.Full, default, default);

        // The sum of each side's peak bounds the peak of both together from above.
        Assert.Equal(expectedPeak, source.PeakOpen + destination.PeakOpen);
        Assert.Equal(expectedPeak / 3, source.PeakOpen); // one source connection per lane
        Assert.Equal(60, result.MessagesCopied);
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines);
    }

    [Fact]
    public void MaxConnections_BelowOneLane_Refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MailboxMigration(_connector) { MaxConnections = MailboxMigration.ConnectionsPerLane - 1 });
        Assert.Equal(1, new MailboxMigration(_connector) { FoldersAtOnce = 4, MaxConnections = ProviderLimits.GmailMaxConnections / 5 }.Lanes);
        Assert.Equal(4, new MailboxMigration(_connector) { FoldersAtOnce = 4, MaxConnections = ProviderLimits.Microsoft365MaxConnections }.Lanes);
        Assert.Equal(6, new MailboxMigration(_connector) { FoldersAtOnce = 8, MaxConnections = ProviderLimits.Microsoft365MaxConnections }.Lanes);
    }

    /// <summary>A user with distinct messages in INBOX, Projects and optionally a third folder of as many as Projects.</summary>
    private async Task<string> SeedAsync(int inbox, int projects, string? extraFolder = null)
    {
        var user = "thr" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        var folders = Enumerable.Repeat("INBOX", inbox).Concat(Enumerable.Repeat("Projects", projects))
            .Concat(extraFolder is null ? [] : Enumerable.Repeat(extraFolder, projects));
        var i = 0;
        foreach (var folder in folders)
        {
            await servers.Source.SaveRawAsync(user, folder,
                Encoding.ASCII.GetBytes($"From: ada@example.org\r\nSubject: m{i}\r\nMessage-ID: <m{i}.{user}@example.org>\r\n\r\nbody {i}\r\n"));
            i++;
        }
        return user;
    }

    private static MigrationSide Side(ThrottlingProxy proxy, string user) =>
        new(new ImapEndpoint(proxy.Host, proxy.Port, TlsMode.None), new ImapLogin(user, Password));

}
