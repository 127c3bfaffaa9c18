using Microsoft.EntityFrameworkCore;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.Faults;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>
/// A provider's limits met by the portal's worker, answered by a proxy in front of the real source exactly as Microsoft
/// 365 and Gmail word them: the dashboard says the pass is throttled and when it resumes, the pass then completes with
/// every message once; Gmail's daily cap fails the pass saying so and a later Start copies the rest; the project's
/// speed limit holds a pass back.
/// </summary>
public sealed class ProviderLimitsTests(MailServers servers) : IClassFixture<MailServers>
{
    private static readonly Dictionary<string, string?> WorkerOn = new()
    {
        ["Migration:Enabled"] = "true",
        ["Migration:Heartbeat"] = "00:00:00.200",
        ["Migration:PollInterval"] = "00:00:00.500",
        ["Migration:RetryDelay"] = "00:00:00.100",
    };

    [Fact]
    public async Task SourceThrottles_DashboardSaysSoWhileItWaits_ThenCompletedWithEveryMessageOnce()
    {
        await using var proxy = new ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        await using var s = await AccessScenario.CreateAsync(servers, settings: WorkerOn, sourceEndpoint: (proxy.Host, proxy.Port));
        var mailbox = await AddMailboxWithMessagesAsync(s, 120);
        proxy.AnswerOnce("BODY.PEEK[]", occurrence: 2, [ThrottlingProxy.MicrosoftThrottled(4000)]);

        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        var throttled = await WaitForAsync(s, d => Row(d, mailbox).Contains("Throttled by the provider"));
        Assert.Matches(@"Throttled by the provider: resuming at \d\d:\d\d:\d\d UTC \(.*Request is throttled\. Suggested Backoff Time: 4000 milliseconds", Row(throttled, mailbox));
        Assert.Equal("Migrating", AdminPages.StatusOf(throttled, mailbox));

        var done = await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) == "Completed");
        Assert.DoesNotContain("Throttled", Row(done, mailbox));
        await AssertSameContentAsync(s);
        var pass = await s.Portal.WithDbAsync(db => db.MigrationPasses.AsNoTracking().SingleAsync(p => p.MailboxId == mailbox));
        Assert.Equal(1, pass.ThrottledWaits);
        Assert.Contains(s.Portal.LogLines, l => l.Contains("the provider throttled the pass; waiting 00:00:04"));
    }

    [Fact]
    public async Task GmailDailyCap_FailedSayingSo_WhatWasCopiedKept_NextStartCopiesTheRestOnce()
    {
        await using var proxy = new ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        await using var s = await AccessScenario.CreateAsync(servers, settings: WorkerOn, sourceEndpoint: (proxy.Host, proxy.Port));
        var mailbox = await AddMailboxWithMessagesAsync(s, 120);
        proxy.AnswerOnce("BODY.PEEK[]", occurrence: 2, [ThrottlingProxy.GmailOverQuota]);

        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        var failed = await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) == "Failed");
        Assert.Contains("daily IMAP transfer limit was reached", Row(failed, mailbox));
        Assert.Contains("Account exceeded command or bandwidth limits", Row(failed, mailbox));
        var kept = (await MailboxContent.ReadAsync(servers.Destination, s.Email, s.DestinationPassword)).MessageCount;
        Assert.InRange(kept, 1, 119);

        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) == "Completed");
        await AssertSameContentAsync(s);
    }

    [Fact]
    public async Task ProjectSpeedLimit_PassTakesAtLeastWhatTheLimitAllows()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: WorkerOn);
        var edit = await s.Admin.Client.GetAsync($"/Admin/Projects/Edit/{s.ProjectId}");
        await s.Admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string> { ["Input.MaxMessagesPerSecond"] = "20" });
        Assert.Equal(20, await s.Portal.WithDbAsync(db => db.Projects.Where(p => p.Id == s.ProjectId).Select(p => p.MaxMessagesPerSecond).SingleAsync()));
        var mailbox = await AddMailboxWithMessagesAsync(s, 60);

        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) == "Completed");

        // 60 messages at 20 a second: at least two seconds after the first second's burst (a lower bound only).
        var pass = await s.Portal.WithDbAsync(db => db.MigrationPasses.AsNoTracking().SingleAsync(p => p.MailboxId == mailbox));
        Assert.True(pass.Duration >= TimeSpan.FromSeconds(1.9), $"The pass took {pass.Duration}.");
        await AssertSameContentAsync(s);
    }

    [Fact]
    public async Task ProjectSpeedLimit_OutOfRange_RefusedSayingWhat_NothingChanged()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var edit = await s.Admin.Client.GetAsync($"/Admin/Projects/Edit/{s.ProjectId}");
        AdminPages.Form(edit).SetAttribute("novalidate", "");

        var page = await s.Admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string> { ["Input.MaxMessagesPerSecond"] = "0" });

        Assert.Contains("Messages per second per mailbox", AdminPages.Errors(page));
        Assert.Null(await s.Portal.WithDbAsync(db => db.Projects.Where(p => p.Id == s.ProjectId).Select(p => p.MaxMessagesPerSecond).SingleAsync()));
    }

    private async Task<int> AddMailboxWithMessagesAsync(AccessScenario s, int count)
    {
        await servers.Source.AppendMessagesAsync(s.Email, s.SourcePassword, "INBOX", Enumerable.Range(1, count).Select(i =>
        {
            var message = new MimeMessage();
            message.From.Add(new MailboxAddress("Sender", "sender@example.org"));
            message.To.Add(MailboxAddress.Parse(s.Email));
            message.Subject = $"Message {i}";
            message.MessageId = $"m{i}.{Guid.NewGuid():N}@example.org";
            message.Body = new TextPart("plain") { Text = $"Body {i} " + new string('x', 2000) + "\r\n" };
            return message;
        }));
        return await s.Admin.AddMailboxAsync(s.ProjectId, "box." + s.Email, s.SourcePassword, s.DestinationPassword, login: s.Email);
    }

    private async Task AssertSameContentAsync(AccessScenario s)
    {
        var source = await MailboxContent.ReadAsync(servers.Source, s.Email, s.SourcePassword);
        var destination = await MailboxContent.ReadAsync(servers.Destination, s.Email, s.DestinationPassword);
        Assert.Equal(source.Folders["INBOX"], destination.Folders["INBOX"]);
    }

    private static string Row(AngleSharp.Html.Dom.IHtmlDocument dashboard, int mailbox) =>
        dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")?.TextContent ?? "(no row)";

    private static Task<AngleSharp.Html.Dom.IHtmlDocument> WaitForAsync(AccessScenario s, Func<AngleSharp.Html.Dom.IHtmlDocument, bool> done) =>
        s.Admin.WaitForDashboardAsync(s.ProjectId, done, s.Portal.LogLines);
}
