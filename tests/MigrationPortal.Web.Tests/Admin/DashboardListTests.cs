using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>
/// A project of thousands of mailboxes on the dashboard: a page at a time, the status counts of the whole project,
/// a filter, a search and sorting, the toolbar on "all matching", and the list as CSV.
/// </summary>
public sealed class DashboardListTests
{
    [Fact]
    public async Task Dashboard_120Mailboxes_ShowsFiftyAPageWithCountsAndPageLinks()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 120);

        var first = await admin.DashboardAsync(project);

        Assert.Equal(ids.Take(50), RowIds(first));
        Assert.Equal("120", Count(first, "All"));
        Assert.Equal("120", Count(first, "NotStarted"));
        Assert.Equal("0", Count(first, "Failed"));
        Assert.Contains("Page 1 of 3 (120 mailboxes)", Pages(first));
        Assert.Null(first.QuerySelector("#pages a[rel=prev]"));

        var second = await admin.Client.GetAsync(first.QuerySelector("#pages a[rel=next]")!.GetAttribute("href")!);
        Assert.Equal(ids.Skip(50).Take(50), RowIds(second));
        var third = await admin.Client.GetAsync(second.QuerySelector("#pages a[rel=next]")!.GetAttribute("href")!);
        Assert.Equal(ids.Skip(100), RowIds(third));
        Assert.Null(third.QuerySelector("#pages a[rel=next]"));

        var hundred = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?size=100");
        Assert.Equal(100, RowIds(hundred).Count);
        // A page past the end shows the last one, not an empty list.
        var beyond = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?pageNumber=99");
        Assert.Equal(ids.Skip(100), RowIds(beyond));
    }

    [Fact]
    public async Task Dashboard_FilterSearchAndSort_ShowOnlyWhatMatchesInOrder()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 10);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 60);
        var unknown = await PortalSeed.MailboxesAsync(portal, project, 5, sourceKnown: false, prefix: "ask");
        await admin.ActAsync(project, "Start", unknown);

        var waiting = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?status=WaitingForUser");
        Assert.Equal(unknown, RowIds(waiting));
        Assert.Equal("5", Count(waiting, "WaitingForUser"));
        Assert.Equal("65", Count(waiting, "All")); // the counts are the project's, whatever the filter
        Assert.Equal("true", waiting.QuerySelector("#status-counts a[aria-current]")!.GetAttribute("aria-current"));
        Assert.Contains("Waiting for User", waiting.QuerySelector("#status-counts a[aria-current]")!.TextContent);

        // A search is case-insensitive and matches either address.
        var search = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?q=USER5");
        Assert.Equal(new[] { ids[5] }.Concat(ids.Skip(50).Take(10)), RowIds(search));
        Assert.Contains("(11 mailboxes)", Pages(search));

        var bySourceDescending = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?sort=source&desc=true");
        Assert.Equal("user9@example.org", FirstSource(bySourceDescending)); // "user9" sorts after "user59"
        Assert.Equal("descending", bySourceDescending.QuerySelector("th[aria-sort]")!.GetAttribute("aria-sort"));
        var byStatus = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?sort=status&desc=true");
        Assert.Equal(unknown, RowIds(byStatus).Take(5).Order());

        // Following a page link keeps the filter.
        var filtered = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?q=user&size=25");
        var next = await admin.Client.GetAsync(filtered.QuerySelector("#pages a[rel=next]")!.GetAttribute("href")!);
        Assert.Equal(ids.Skip(25).Take(25), RowIds(next));
    }

    [Fact]
    public async Task Dashboard_NonsenseInTheAddress_SaysSoAndShowsEverything()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 3);

        var page = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?status=Deleted&sort=password&size=100000&pageNumber=-4");

        Assert.Equal(System.Net.HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Equal(ids, RowIds(page));
        var errors = AdminPages.Errors(page);
        Assert.Contains("There is no status \"Deleted\": showing every status.", errors);
        Assert.Contains("cannot be sorted by \"password\"", errors);
        var numeric = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?status=5");
        Assert.Contains("There is no status \"5\"", AdminPages.Errors(numeric));
        Assert.Equal(ids, RowIds(numeric));
    }

    [Fact]
    public async Task Start_AllMatchingTheFilter_ActsOnEveryPageOfThemAndNothingElse()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 200);
        var others = await PortalSeed.MailboxesAsync(portal, project, 30, prefix: "keep");
        var wanted = await PortalSeed.MailboxesAsync(portal, project, 130, prefix: "move");

        var filtered = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?q=move");
        Assert.Contains("Act on all 130 matching mailboxes, on every page", filtered.QuerySelector(".selection")!.TextContent.Replace("\n", " ").Replace("  ", " "));
        var form = (IHtmlFormElement)filtered.QuerySelector("form#mailboxes")!;
        var after = await admin.Client.SubmitAsync(form, "Start", new Dictionary<string, string> { ["allMatching"] = "true" });

        Assert.Contains("Start: applied to 130 mailboxes.", AdminPages.Report(after));
        // Back on the list as it was: the same search.
        Assert.Contains("q=move", admin.Client.LastResponse!.RequestMessage!.RequestUri!.Query);
        var statuses = await StatusesAsync(portal, project);
        Assert.All(wanted, id => Assert.Equal(MailboxStatus.Submitted, statuses[id]));
        Assert.All(others, id => Assert.Equal(MailboxStatus.NotStarted, statuses[id]));
    }

    [Fact]
    public async Task Stop_CheckedBoxesWithoutAllMatching_ActsOnlyOnTheChecked()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 10);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 8);
        await admin.ActAsync(project, "Start", ids);

        var after = await admin.ActAsync(project, "Stop", ids.Take(2));

        Assert.Contains("Stop: applied to 2 mailboxes.", AdminPages.Report(after));
        var statuses = await StatusesAsync(portal, project);
        Assert.Equal(2, statuses.Values.Count(s => s == MailboxStatus.Stopped));
        Assert.Equal(6, statuses.Values.Count(s => s == MailboxStatus.Submitted));
    }

    [Fact]
    public async Task ExportCsv_FilteredList_EveryMatchingMailboxWithStatusAndNoSecret()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 10);
        await PortalSeed.MailboxesAsync(portal, project, 1200);
        var asked = await PortalSeed.MailboxesAsync(portal, project, 3, sourceKnown: false, prefix: "ask");
        await admin.ActAsync(project, "Start", asked);

        var all = await admin.DashboardAsync(project);
        var csv = await admin.Client.Http.GetAsync(all.QuerySelector("#export-csv")!.GetAttribute("href")!);

        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Seeded-mailboxes-", csv.Content.Headers.ContentDisposition!.FileNameStar);
        var text = await csv.Content.ReadAsStringAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + 1203, lines.Length); // every page, not only the one on screen
        Assert.StartsWith("Source Email,Destination Email,Status,Reason,Status Changed (UTC),License,Passes", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("ask2@example.org,ask2@example.org,Waiting for User,"));
        Assert.Contains(lines, l => l.StartsWith("user1199@example.org,user1199@example.org,Not Started,"));
        Assert.DoesNotContain("Known-Passw0rd", text);

        var waiting = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?status=WaitingForUser");
        var filtered = await (await admin.Client.Http.GetAsync(waiting.QuerySelector("#export-csv")!.GetAttribute("href")!)).Content.ReadAsStringAsync();
        Assert.Equal(4, filtered.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static List<int> RowIds(IHtmlDocument page) =>
        page.QuerySelectorAll("table.mailboxes tbody tr").Select(r => int.Parse(r.GetAttribute("data-mailbox-id")!)).ToList();

    private static string Count(IHtmlDocument page, string status) =>
        page.QuerySelector($"#status-counts .count[data-status='{status}']")!.TextContent.Trim();

    private static string Pages(IHtmlDocument page) => page.QuerySelector("#pages")!.TextContent;

    private static string FirstSource(IHtmlDocument page) =>
        page.QuerySelector("table.mailboxes tbody tr td:nth-child(2)")!.TextContent.Trim();

    private static async Task<Dictionary<int, MailboxStatus>> StatusesAsync(PortalFactory portal, int project)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        return await db.Mailboxes.Where(m => m.ProjectId == project).ToDictionaryAsync(m => m.Id, m => m.Status);
    }
}
