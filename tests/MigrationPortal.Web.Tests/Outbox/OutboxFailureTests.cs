using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Outbox;

/// <summary>What the outbox does when the SMTP server is away or refuses a message, seen on the Outbox page.</summary>
public sealed class OutboxFailureTests
{
    private const string Known = "Known-Passw0rd";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_SmtpServerDown_PendingWithConnectionErrorThenSentWhenServerReturns()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var (admin, project) = await SetUpAsync(portal, licenses: 1);
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, Known);
        await sink.StopAsync();

        await admin.ActAsync(project, "Start", [mailbox]);

        var pending = await OutboxPage.WaitForRowAsync(admin.Client, r => r.Attempts >= 1);
        Assert.Equal("Pending", pending.State);
        Assert.Contains($"Could not connect to SMTP server {sink.Host}:{sink.Port}", pending.LastError);
        Assert.StartsWith("next ", pending.When);

        await sink.StartAsync();
        await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains("ada@example.org"), Timeout);
        var sent = await OutboxPage.WaitForRowAsync(admin.Client, r => r.State == "Sent");
        Assert.True(sent.Attempts >= 2, $"{sent.Attempts} attempts");
        Assert.Equal("—", sent.LastError);
        Assert.Single(sink.Messages);
    }

    [Fact]
    public async Task Deliver_RecipientRefusedWith550_FailedAfterOneAttemptWithServerAnswer()
    {
        await using var sink = new SmtpSink { RejectRecipient = address => address == "nobody@example.org" };
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var (admin, project) = await SetUpAsync(portal, licenses: 1);
        var mailbox = await admin.AddMailboxAsync(project, "nobody@example.org", null, Known);

        await admin.ActAsync(project, "Start", [mailbox]);

        var row = await OutboxPage.WaitForRowAsync(admin.Client, r => r.State != "Pending");
        Assert.Equal("Failed", row.State);
        Assert.Equal(1, row.Attempts);
        Assert.Contains($"SMTP server {sink.Host}:{sink.Port} answered 550 for recipient nobody@example.org", row.LastError);
        Assert.Equal("—", row.When);
        Assert.Empty(sink.Messages);
        // Given up for good: it is not tried again.
        await Task.Delay(600);
        Assert.Equal(1, OutboxPage.Rows(await admin.Client.GetAsync(OutboxPage.Path)).Single().Attempts);
    }

    [Fact]
    public async Task Deliver_ServerDownForMaxAttempts_FailedWithLastConnectionError()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink, maxAttempts: 3));
        var (admin, project) = await SetUpAsync(portal, licenses: 1);
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, Known);
        await sink.StopAsync();

        await admin.ActAsync(project, "Start", [mailbox]);

        var row = await OutboxPage.WaitForRowAsync(admin.Client, r => r.State != "Pending");
        Assert.Equal("Failed", row.State);
        Assert.Equal(3, row.Attempts);
        Assert.Contains("Could not connect to SMTP server", row.LastError);
    }

    [Fact]
    public async Task Stop_BeforeDelivery_CancelsMessageAndItNeverArrives()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var (admin, project) = await SetUpAsync(portal, licenses: 2);
        var stopped = await admin.AddMailboxAsync(project, "ada@example.org", null, Known);
        var later = await admin.AddMailboxAsync(project, "bob@example.org", null, Known);
        await sink.StopAsync();
        await admin.ActAsync(project, "Start", [stopped]);
        var tried = await OutboxPage.WaitForRowAsync(admin.Client, r => r.Attempts >= 1);

        var dashboard = await admin.ActAsync(project, "Stop", [stopped]);

        Assert.Equal("Stopped", AdminPages.StatusOf(dashboard, stopped));
        var cancelled = OutboxPage.Rows(await admin.Client.GetAsync(OutboxPage.Path)).Single(r => r.Id == tried.Id);
        Assert.Equal("Failed", cancelled.State);
        Assert.Contains("revoked", cancelled.LastError);

        await sink.StartAsync();
        // Longer than the largest retry delay plus a poll: a message still pending would be due, and sent, by now.
        await Task.Delay(1500);
        // A message queued after the server came back marks the point by which everything due has been worked through.
        await admin.ActAsync(project, "Start", [later]);
        await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains("bob@example.org"), Timeout);
        Assert.DoesNotContain(sink.Messages, m => m.EnvelopeRecipients.Contains("ada@example.org"));
        var after = OutboxPage.Rows(await admin.Client.GetAsync(OutboxPage.Path)).Single(r => r.Id == tried.Id);
        Assert.Equal(("Failed", cancelled.Attempts), (after.State, after.Attempts));
    }

    private static async Task<(AdminPages Admin, int Project)> SetUpAsync(PortalFactory portal, int licenses)
    {
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(licenses);
        return (admin, await admin.CreateProjectAsync());
    }
}
