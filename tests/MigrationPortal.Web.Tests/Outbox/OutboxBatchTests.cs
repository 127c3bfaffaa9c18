using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Outbox;

/// <summary>
/// The outbox claims due messages a batch at a time: what the admin sees on the Outbox page and what the SMTP server
/// receives when a batch meets a refusal, an unreachable server, a lease held by an instance that died, or another
/// instance claiming at the same time.
/// </summary>
public sealed class OutboxBatchTests
{
    private const string Known = "Known-Passw0rd";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Deliver_OneRecipientRefusedInTheMiddleOfABatch_TheOthersSentOnceAndItFailedAfterOneAttempt()
    {
        await using var sink = new SmtpSink { RejectRecipient = address => address == "user13@example.org" };
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var (admin, project) = await SetUpAsync(portal, licenses: 25);
        var addresses = Enumerable.Range(1, 25).Select(i => $"user{i:00}@example.org").ToList();
        var ids = new List<int>();
        foreach (var address in addresses)
            ids.Add(await admin.AddMailboxAsync(project, address, null, Known));

        await admin.ActAsync(project, "Start", ids);

        var page = await OutboxPage.WaitForCountAsync(admin.Client, "Sent", 24);
        Assert.Equal(1, OutboxPage.Count(page, "Failed"));
        Assert.Equal(0, OutboxPage.Count(page, "Pending"));
        var refused = OutboxPage.Rows(page).Single(r => r.State == "Failed");
        Assert.Equal(("user13@example.org", 1), (refused.To, refused.Attempts));
        Assert.Contains("answered 550 for recipient user13@example.org", refused.LastError);
        Assert.All(OutboxPage.Rows(page).Where(r => r.State == "Sent"), r => Assert.Equal(1, r.Attempts));
        Assert.Equal(addresses.Where(a => a != "user13@example.org"), sink.Messages.SelectMany(m => m.EnvelopeRecipients).Order());
    }

    [Fact]
    public async Task Start_SmtpServerDownWithSeveralMessagesQueued_AllSentOnceSoonAfterItReturns()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var (admin, project) = await SetUpAsync(portal, licenses: 5);
        var addresses = Enumerable.Range(1, 5).Select(i => $"user{i}@example.org").ToList();
        var ids = new List<int>();
        foreach (var address in addresses)
            ids.Add(await admin.AddMailboxAsync(project, address, null, Known));
        await sink.StopAsync();

        await admin.ActAsync(project, "Start", ids);
        await OutboxPage.WaitForRowAsync(admin.Client, r => r.Attempts >= 1);
        await sink.StartAsync();

        // The batch that met the outage gave back what it had not tried: nothing waits for its two-minute lease.
        foreach (var address in addresses)
            await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(address), Timeout);
        await OutboxPage.WaitForCountAsync(admin.Client, "Sent", 5);
        Assert.Equal(addresses, sink.Messages.SelectMany(m => m.EnvelopeRecipients).Order());
    }

    [Fact]
    public async Task Deliver_MessageLeasedByAnInstanceThatDied_NotSentUntilTheLeaseEndsThenSentOnce()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink), clock);
        var (admin, project) = await SetUpAsync(portal, licenses: 2);
        var ada = await admin.AddMailboxAsync(project, "ada@example.org", null, Known);
        var bob = await admin.AddMailboxAsync(project, "bob@example.org", null, Known);
        await sink.StopAsync();
        await admin.ActAsync(project, "Start", [ada]);
        // Tried once; with the clock standing still its retry is never due.
        await OutboxPage.WaitForRowAsync(admin.Client, r => r.Attempts >= 1);

        // As if another instance had claimed it again and died before sending: due, but leased for ten more minutes.
        var now = clock.GetUtcNow();
        await portal.WithDbAsync(db => db.OutboxMessages.ExecuteUpdateAsync(s => s
            .SetProperty(m => m.NextAttemptAt, now)
            .SetProperty(m => m.LeaseUntil, now + TimeSpan.FromMinutes(10))));
        await sink.StartAsync();
        await admin.ActAsync(project, "Start", [bob]);
        await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains("bob@example.org"), Timeout);

        // Claimed after Ada's message was due again, Bob's went out alone: the lease kept hers back.
        Assert.DoesNotContain(sink.Messages, m => m.EnvelopeRecipients.Contains("ada@example.org"));
        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains("ada@example.org"), Timeout);
        await OutboxPage.WaitForCountAsync(admin.Client, "Sent", 2);
        Assert.Equal(["ada@example.org", "bob@example.org"], sink.Messages.SelectMany(m => m.EnvelopeRecipients).Order());
    }

    [PostgresFact("several portal instances share one PostgreSQL database; a second process on a SQLite file is refused")]
    public async Task Deliver_TwoInstancesClaimingSmallBatchesAtOnce_EachMessageSentOnce()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var database = await SharedPostgresDatabase.CreateAsync();
        // Batches of three, so the instances claim many times each, side by side, from one queue of messages.
        var settings = database.Settings(new Dictionary<string, string?>(OutboxPage.Settings(sink)) { ["Outbox:BatchSize"] = "3" });
        await using var first = new PortalFactory(settings);
        var (admin, project) = await SetUpAsync(first, licenses: 40);
        var addresses = Enumerable.Range(1, 40).Select(i => $"user{i:00}@example.org").ToList();
        var ids = new List<int>();
        foreach (var address in addresses)
            ids.Add(await admin.AddMailboxAsync(project, address, null, Known));
        await using var second = new PortalFactory(settings);
        _ = second.Services; // starts its host, and with it its own outbox worker

        // Held back while the server is down, the messages are all due at once when it returns: both workers race for them.
        await sink.StopAsync();
        await admin.ActAsync(project, "Start", ids);
        await Task.Delay(500);
        await sink.StartAsync();

        foreach (var address in addresses)
            await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(address), Timeout);
        var page = await OutboxPage.WaitForCountAsync(admin.Client, "Sent", 40);
        Assert.Equal(addresses, sink.Messages.SelectMany(m => m.EnvelopeRecipients).Order());
        Assert.Equal(0, OutboxPage.Count(page, "Pending") + OutboxPage.Count(page, "Failed"));
    }

    private static async Task<(AdminPages Admin, int Project)> SetUpAsync(PortalFactory portal, int licenses)
    {
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(licenses);
        return (admin, await admin.CreateProjectAsync());
    }
}
