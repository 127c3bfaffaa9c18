using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Email;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// The user who has not answered: reminders after the project's days, Resend Request, and what the dashboard says of
/// the request. Real SMTP server, real Dovecot, a fake clock the reminders worker reads.
/// </summary>
public sealed class RemindersTests(MailServers servers) : IClassFixture<MailServers>
{
    /// <summary>The reminders worker looks often, so a test waits a fraction of a second for what is due.</summary>
    private static readonly Dictionary<string, string?> QuickReminders = new() { ["Portal:ReminderPoll"] = "00:00:00.100" };

    /// <summary>Long enough for several rounds of the worker and for the outbox to send what they queued.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Reminders_UserDoesNotAnswer_TwoRemindersWithTheSameLinkAfterTwoDaysEach_ThenNoMore()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock, settings: QuickReminders);
        var link = await s.StartAndReadLinkAsync();

        clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        await Task.Delay(Quiet);
        Assert.Equal(1, CountEmailsTo(s));

        clock.Advance(TimeSpan.FromMinutes(2));
        var first = await s.NextEmailAsync();
        Assert.Equal(CredentialRequestEmail.ReminderSubject, first.Subject);
        Assert.Equal(link, AccessScenario.LinkIn(first));
        Assert.Contains("This is a reminder", first.TextBody);
        Assert.Contains("The link below still works for 4 days.", first.TextBody); // a 7-day link, reminded a little after 2 days
        Assert.Contains("The link below still works for 4 days.", first.HtmlBody);

        clock.Advance(TimeSpan.FromDays(2));
        var second = await s.NextEmailAsync();
        Assert.Equal(link, AccessScenario.LinkIn(second));
        Assert.Contains("still works for 2 days", second.TextBody);

        clock.Advance(TimeSpan.FromDays(2));
        await Task.Delay(Quiet);
        Assert.Equal(3, CountEmailsTo(s)); // the project's default: at most 2 reminders

        await s.Admin.LoginAsync(); // days went by: the admin's session ended

        var row = RequestText(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId);
        Assert.Contains("2 reminders", row);
        Assert.Contains("link not opened", row);

        // The first email's link still works: the reminders did not replace it.
        var result = await s.SubmitAsync(link);
        Assert.Contains("Thank you", result.Body!.TextContent);
    }

    [Fact]
    public async Task Reminders_UserAnswered_NoneIsSent()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock, settings: QuickReminders);
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        Assert.Equal(MailboxStatus.Submitted, (await s.MailboxAsync()).Status);

        clock.Advance(TimeSpan.FromDays(3));
        await Task.Delay(Quiet);

        Assert.Equal(1, CountEmailsTo(s));
    }

    [Fact]
    public async Task Reminders_AdminStopped_NoneIsSent()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock, settings: QuickReminders);
        await s.StartAndReadLinkAsync();
        await s.PressAsync("Stop");

        clock.Advance(TimeSpan.FromDays(3));
        await Task.Delay(Quiet);

        Assert.Equal(1, CountEmailsTo(s));
    }

    [Fact]
    public async Task Reminders_ProjectSetting_OneDayOnceOnly()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock, settings: QuickReminders);
        await SetRemindersAsync(s, afterDays: "1", max: "1");
        var link = await s.StartAndReadLinkAsync();

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(link, AccessScenario.LinkIn(await s.NextEmailAsync()));
        clock.Advance(TimeSpan.FromDays(2));
        await Task.Delay(Quiet);

        Assert.Equal(2, CountEmailsTo(s));
    }

    [Fact]
    public async Task ProjectForm_RemindersOutOfRange_ClearMessageAndNothingChanged()
    {
        await using var s = await AccessScenario.CreateAsync(servers);

        var page = await SetRemindersAsync(s, afterDays: "0", max: "11");

        var errors = AdminPages.Errors(page);
        Assert.Contains("Remind users who have not answered after (days)", errors);
        Assert.Contains("Reminders at most (0: none)", errors);
        var project = await s.Portal.WithDbAsync(db => db.Projects.SingleAsync(p => p.Id == s.ProjectId));
        Assert.Equal((2, 2), (project.ReminderAfterDays, project.MaxReminders));
    }

    [Fact]
    public async Task ResendRequest_SameLinkAgain_FirstEmailKeepsWorking_SecondPressRefusedSayingWhen()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock);
        var link = await s.StartAndReadLinkAsync();
        Assert.Contains("it can be sent again from", AdminPages.Report(await s.PressAsync("Resend Request"))); // just sent

        clock.Advance(TimeSpan.FromMinutes(11));
        var dashboard = await s.PressAsync("Resend Request");
        Assert.Contains("Resend Request: applied to 1 mailbox", AdminPages.Report(dashboard));
        var again = await s.NextEmailAsync();
        Assert.Equal(CredentialRequestEmail.Subject, again.Subject);
        Assert.Equal(link, AccessScenario.LinkIn(again));

        clock.Advance(TimeSpan.FromMinutes(5));
        var refused = AdminPages.Report(await s.PressAsync("Resend Request"));
        Assert.Contains("refused for 1", refused);
        Assert.Contains("it can be sent again from", refused);
        await Task.Delay(Quiet);
        Assert.Equal(2, CountEmailsTo(s));

        clock.Advance(TimeSpan.FromMinutes(6));
        await s.PressAsync("Resend Request");
        Assert.Equal(link, AccessScenario.LinkIn(await s.NextEmailAsync()));
        Assert.Contains("resent 2 times", RequestText(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId));

        var result = await s.SubmitAsync(link);
        Assert.Contains("Thank you", result.Body!.TextContent);
        Assert.Equal(MailboxStatus.Submitted, (await s.MailboxAsync()).Status);
    }

    [Fact]
    public async Task ResendQueuedWhileTheMailServerIsDown_UserAnswersMeanwhile_ItIsNeverSent()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock);
        var link = await s.StartAndReadLinkAsync();
        await servers.Smtp.StopAsync();
        try
        {
            clock.Advance(TimeSpan.FromMinutes(11));
            Assert.Contains("applied to 1 mailbox", AdminPages.Report(await s.PressAsync("Resend Request")));
            Assert.Contains("Thank you", (await s.SubmitAsync(link)).Body!.TextContent);
        }
        finally
        {
            await servers.Smtp.StartAsync();
        }
        clock.Advance(TimeSpan.FromHours(1)); // past any retry the outbox would have made

        await Task.Delay(Quiet);

        Assert.Equal(1, CountEmailsTo(s));
        var resend = await s.Portal.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.MailboxId == s.MailboxId).OrderBy(m => m.Id).ToListAsync());
        Assert.Equal(2, resend.Count);
        Assert.Equal("Not sent: the user answered through the link before it went out.", resend[1].LastError);
    }

    [Fact]
    public async Task ResendRequest_NotWaitingForUser_RefusedAndNoEmail()
    {
        await using var s = await AccessScenario.CreateAsync(servers);

        var report = AdminPages.Report(await s.PressAsync("Resend Request"));

        Assert.Contains("refused for 1", report);
        Assert.Contains("only a mailbox Waiting for User has a request to send again", report);
        await Task.Delay(Quiet);
        Assert.Equal(0, CountEmailsTo(s));
    }

    [Fact]
    public async Task ResendRequest_LinkExpired_RefusedSayingStopAndStart()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock);
        await s.StartAndReadLinkAsync();
        clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        await s.Admin.LoginAsync(); // a week went by: the admin's session ended

        var report = AdminPages.Report(await s.PressAsync("Resend Request"));

        Assert.Contains("Its link expired at", report);
        Assert.Contains("Stop it, then Start it", report);
        Assert.Contains("expired", RequestText(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId));
    }

    [Fact]
    public async Task Dashboard_LinkOpenedByGetAndHead_CountedAndTheFormStillWorks()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));

        var before = RequestText(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId);
        Assert.Contains($"Request sent {request.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC", before);
        Assert.Contains("link not opened", before);
        Assert.Contains($"expires {request.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC", before);

        // A mail scanner's HEAD, then the user's GET.
        using (var head = await s.User.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, link.PathAndQuery)))
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        await s.OpenAsync(link);

        Assert.Contains("link opened 2 times", RequestText(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId));
        var result = await s.SubmitAsync(link);
        Assert.Contains("Thank you", result.Body!.TextContent);
    }

    private int CountEmailsTo(AccessScenario s) => servers.Smtp.Messages.Count(m => m.EnvelopeRecipients.Contains(s.Email));

    private static string RequestText(AngleSharp.Html.Dom.IHtmlDocument dashboard, int mailboxId) =>
        dashboard.QuerySelector($"tr[data-mailbox-id='{mailboxId}'] td .request")?.TextContent
        ?? throw new InvalidOperationException("The row shows no request: " + dashboard.QuerySelector($"tr[data-mailbox-id='{mailboxId}']")?.TextContent);

    private static async Task<AngleSharp.Html.Dom.IHtmlDocument> SetRemindersAsync(AccessScenario s, string afterDays, string max)
    {
        var edit = await s.Admin.Client.GetAsync($"/Admin/Projects/Edit/{s.ProjectId}");
        var form = AdminPages.Form(edit);
        form.SetAttribute("novalidate", ""); // as a hand-made post would: the server's own check is what is tested
        return await s.Admin.Client.SubmitAsync(form, "Save",
            new Dictionary<string, string> { ["Input.ReminderAfterDays"] = afterDays, ["Input.MaxReminders"] = max });
    }
}
