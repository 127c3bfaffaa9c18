using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Licenses;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>Selections of thousands of mailboxes: the report stays on the server and the site stays usable.</summary>
public sealed class LargeSelectionTests
{
    [Fact]
    public async Task Start_ThousandMailboxesPressedTwice_SummaryOnAReadablePageFullReportOnTheServer()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 1000);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 1000);

        // A thousand are started in the background; the page shows the report filling in.
        var first = await admin.WaitForReportAsync(await admin.ActAsync(project, "Start", ids));
        Assert.Contains("Start: applied to 1000 mailboxes.", AdminPages.Report(first));

        var second = await admin.ActAsync(project, "Start", ids);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        var report = AdminPages.Report(second);
        Assert.Contains("Start: applied to 0 mailboxes, refused for 1000.", report);
        Assert.Contains("It is already Submitted; stop it before starting it again. (1000)", report);
        Assert.Contains("user0@example.org", report);
        Assert.Contains("and 995 more", report);
        Assert.DoesNotContain("user999@example.org", report);
        AssertNoLargeCookies(admin.Client.LastResponse);
        // Every later request still works, the login page's included.
        var login = await admin.Client.Http.GetAsync("/Admin/Account/Login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        // The full report: every item, paged on screen and whole in the CSV.
        var full = await admin.Client.GetAsync(second.QuerySelector("#action-report a")!.GetAttribute("href")!);
        Assert.Equal(500, full.QuerySelectorAll("#report-items tbody tr").Length);
        Assert.Contains("Page 1 of 2", full.Body!.TextContent);
        var csvLink = second.QuerySelectorAll("#action-report a").Single(a => a.TextContent.Contains("CSV")).GetAttribute("href")!;
        var csv = await admin.Client.Http.GetAsync(csvLink);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1001, lines.Length);
        Assert.StartsWith("Mailbox,MailboxId,Action,Outcome,Reason", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("user999@example.org,") && l.Contains("Refused") && l.Contains("already Submitted"));
    }

    [Fact]
    public async Task Start_TenThousandRefused_SiteStaysUsable()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 10_000);
        await StartAllInDatabaseAsync(portal, project);

        // The dashboard's own form, all 10,000 boxes checked, as "select all" would post it.
        var dashboard = await admin.ActAsync(project, "Start", ids);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("refused for 10000", AdminPages.Report(dashboard));
        AssertNoLargeCookies(admin.Client.LastResponse);
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.Http.GetAsync("/Admin/Account/Login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.Http.GetAsync("/Admin/Licenses")).StatusCode);
    }

    [Fact]
    public async Task Start_AllOfTwoThousandHalfNeedingCredentials_AnswersAtOnceThenEveryOneMovesOnInTheBackgroundAndEachUserIsEmailedOnce()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 2000);
        var known = await PortalSeed.MailboxesAsync(portal, project, 1000);
        var asking = await PortalSeed.MailboxesAsync(portal, project, 1000, sourceKnown: false, prefix: "ask");

        var dashboard = await admin.DashboardAsync(project);
        var after = await admin.Client.SubmitAsync((AngleSharp.Html.Dom.IHtmlFormElement)dashboard.QuerySelector("form#mailboxes")!, "Start",
            new Dictionary<string, string> { ["allMatching"] = "true" });

        // The request only queued them: the admin is back on the dashboard while they are started batch by batch.
        Assert.StartsWith("Starting in the background:", after.QuerySelector("#report-waiting")?.TextContent);
        after = await admin.WaitForReportAsync(after);
        Assert.Contains("Start: applied to 2000 mailboxes.", AdminPages.Report(after));
        Assert.Equal(1000, await portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => known.Contains(m.Id) && m.Status == MailboxStatus.Submitted)));
        Assert.Equal(1000, await portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => asking.Contains(m.Id) && m.Status == MailboxStatus.WaitingForUser)));
        // One credential email per asking mailbox, to its own user, and one open link each.
        var recipients = await portal.WithDbAsync(db => db.OutboxMessages.Select(m => m.MailboxId).ToListAsync());
        Assert.Equal(asking.Order(), recipients.Select(r => r!.Value).Order());
        Assert.Equal(1000, await portal.WithDbAsync(db => db.CredentialRequests.CountAsync(r => r.State == Core.CredentialRequests.CredentialRequestState.Pending)));
        Assert.Equal(0, await portal.WithDbAsync(db => db.LicensePools.Select(p => p.Available).SingleAsync()));
        Assert.Equal(2000, await portal.WithDbAsync(db => db.LicenseMovements.CountAsync(m => m.Kind == Core.Licenses.LicenseMovementKind.Held)));
    }

    [Fact]
    public async Task Start_MoreMailboxesThanLicenses_TheFirstOnesStartTheRestAreRefusedWithTheReason()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 400);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 600);

        var after = await admin.WaitForReportAsync(await admin.ActAsync(project, "Start", ids));

        var report = AdminPages.Report(after);
        Assert.Contains("Start: applied to 400 mailboxes, refused for 200.", report);
        Assert.Contains("No license is available", report);
        var submitted = await portal.WithDbAsync(db => db.Mailboxes.Where(m => m.Status == MailboxStatus.Submitted).Select(m => m.Id).ToListAsync());
        Assert.Equal(ids.Take(400).Order(), submitted.Order());
        Assert.Equal(0, await portal.WithDbAsync(db => db.LicensePools.Select(p => p.Available).SingleAsync()));
        Assert.Equal(400, await portal.WithDbAsync(db => db.LicenseMovements.CountAsync(m => m.Kind == Core.Licenses.LicenseMovementKind.Held)));
    }

    /// <summary>What the browser sends back from now on: the report used to add 38 KB of TempData cookies.</summary>
    private static void AssertNoLargeCookies(HttpResponseMessage response)
    {
        var setCookies = response.RequestMessage!.Headers.TryGetValues("Cookie", out var sent) ? string.Join("; ", sent) : "";
        Assert.True(setCookies.Length < 4096, $"The browser now sends {setCookies.Length} bytes of cookies.");
        Assert.DoesNotContain("TempData", setCookies);
    }

    /// <summary>Every mailbox Submitted through its own Start, with licenses enough, in one transaction (setup only).</summary>
    private static async Task StartAllInDatabaseAsync(PortalFactory portal, int project)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var rules = scope.ServiceProvider.GetRequiredService<MailboxRules>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        var pool = await LicensePoolStore.LoadAsync(db, default);
        var mailboxes = await db.Mailboxes.WithLifecycleState().Where(m => m.ProjectId == project).ToListAsync();
        pool.Add(mailboxes.Count, PortalSeed.Actor, now, "Seeded");
        foreach (var mailbox in mailboxes)
            mailbox.Start(pool, rules, PortalSeed.Actor, now);
        await using var transaction = await db.Database.BeginTransactionAsync();
        await LicensePoolStore.ApplyAsync(db, pool, default);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }
}
