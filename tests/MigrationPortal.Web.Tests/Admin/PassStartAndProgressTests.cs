using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Data;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Web.Tests.Infrastructure;
using MigrationPortal.Web.Worker;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>
/// The dashboard's Start with a pass type refusing bad input, and the progress of a running pass as the admin sees it.
/// The worker is off: the pass's writes are made through the worker's own checkpoint store, fenced by a real claim.
/// </summary>
public sealed class PassStartAndProgressTests
{
    public static TheoryData<string, string, string> BadStarts => new()
    {
        { "PreStage", "", "Pre-Stage needs a date" },
        { "Bogus", "", "Choose a pass type" },
        { "RetryErrors", "", "nothing to retry" },
    };

    [Theory]
    [MemberData(nameof(BadStarts))]
    public async Task Start_BadPassInput_RefusedWithTheMessageAndNothingChanges(string passKind, string date, string message)
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(2);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", "Source-Passw0rd", "Destination-Passw0rd");

        var page = await admin.DashboardAsync(project);
        if (passKind == "Bogus") // a tampered form: the select only offers the four kinds
            page.QuerySelector("select[name='passKind'] option[value='Full']")!.SetAttribute("value", passKind);
        var form = (IHtmlFormElement)page.QuerySelector("form#mailboxes")!;
        var fields = new Dictionary<string, string> { ["preStageBefore"] = date };
        if (passKind != "Bogus") fields["passKind"] = passKind;
        var result = await admin.Client.SubmitAsync(form, "Start", fields, [mailbox.ToString()]);

        Assert.Contains(message, AdminPages.Report(result));
        var dashboard = await admin.DashboardAsync(project);
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, mailbox));
        Assert.Equal(2, AdminPages.LicensesAvailable(dashboard));
        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Contains("No pass has run yet.", details.Body!.TextContent);
        Assert.DoesNotContain("Started (", details.Body.TextContent); // the history has no Start
    }

    [Fact]
    public async Task Progress_MigratingMailbox_BarsAndJsonShowCopiedOfFoundAndTheDetailsItsFolders()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", "Source-Passw0rd", "Destination-Passw0rd");
        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Full" });

        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var unitOfWork = scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>();
        var claim = await scope.ServiceProvider.GetRequiredService<MigrationClaimStore>().TryClaimNextAsync("test-worker", TimeSpan.FromMinutes(5), default);
        Assert.NotNull(claim);
        var begun = await unitOfWork.RunAsync(mailbox, null, (work, _) => { work.Mailbox.BeginPass(work.Now); return Task.CompletedTask; }, default, claim);
        Assert.True(begun.Applied);
        var version = await VersionAsync(portal, mailbox);

        var store = new DatabaseCheckpointStore(db, unitOfWork, scope.ServiceProvider.GetRequiredService<MigrationPortal.Data.Checkpoints.PassProgressWriter>(), claim);
        await store.ReportFoundAsync(new PassInventory(Folders: 2, Messages: 10, Bytes: 50_000), default);
        var tooBig = new FailedMessage("INBOX", 3, "The big one", 30_000, "NO [LIMIT] Message too large");
        await store.SaveAsync(new BatchProgress(new FolderCheckpoint("INBOX", 7, 5), 4, 20_000, Failed: [tooBig]), default);
        await store.SaveFolderAsync(new FolderStatistics("INBOX", "INBOX", 5, 50_000, 4, 20_000, 0, 1, TimeSpan.FromSeconds(2)), default);

        var json = await ProgressAsync(admin, project);
        var item = Assert.Single(json.GetProperty("mailboxes").EnumerateArray());
        Assert.Equal(mailbox, item.GetProperty("id").GetInt32());
        Assert.Equal("Migrating", item.GetProperty("status").GetString());
        Assert.Equal((10, 4), (item.GetProperty("messagesFound").GetInt32(), item.GetProperty("messagesCopied").GetInt32()));
        Assert.Equal((50_000L, 20_000L), (item.GetProperty("bytesFound").GetInt64(), item.GetProperty("bytesCopied").GetInt64()));

        // Without script the page shows the same numbers; with it, the browser is allowed to run the refresh.
        var dashboard = await admin.DashboardAsync(project);
        var messagesBar = dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}'] progress[data-of='messages']")!;
        Assert.Equal(("4", "10"), (messagesBar.GetAttribute("value"), messagesBar.GetAttribute("max")));
        Assert.NotNull(messagesBar.GetAttribute("aria-label"));
        Assert.Contains("4 of 10 messages", dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}'] td.progress")!.TextContent);
        var script = dashboard.QuerySelector("script")!.TextContent;
        Assert.Contains("setTimeout(tick, every)", script);
        // Every 2 seconds unless Portal:DashboardRefresh says otherwise: the table tells the script.
        Assert.Equal("2000", dashboard.QuerySelector("table.mailboxes")!.GetAttribute("data-progress-every"));
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)));
        Assert.Contains($"'sha256-{hash}'", admin.Client.LastResponse!.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("connect-src 'self'", admin.Client.LastResponse.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Null(dashboard.QuerySelector("script[src]")); // nothing downloaded for it

        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        var inbox = details.QuerySelector("#pass-1-folders tr[data-folder='INBOX']")!;
        Assert.Equal(("5", "4", "1"), (inbox.QuerySelector(".found")!.TextContent, inbox.QuerySelector(".copied")!.TextContent, inbox.QuerySelector(".failed")!.TextContent));
        Assert.Contains("NO [LIMIT] Message too large", details.QuerySelector("#failed-messages")!.TextContent);

        // A later batch copies the refused message after all: it is no longer listed as not copied.
        await store.SaveAsync(new BatchProgress(new FolderCheckpoint("INBOX", 7, 5), 1, 30_000, Recovered: [tooBig]), default);
        details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Null(details.QuerySelector("#failed-messages"));
        Assert.Contains("The destination has refused no message.", details.Body!.TextContent);
        Assert.Equal(5, (await ProgressAsync(admin, project)).GetProperty("mailboxes")[0].GetProperty("messagesCopied").GetInt32());

        // Progress never bumps the mailbox's version, so an admin's Stop is never turned away by a busy pass.
        Assert.Equal(version, await VersionAsync(portal, mailbox));
        var stopped = await admin.ActAsync(project, "Stop", [mailbox]);
        Assert.Equal("Stopping", AdminPages.StatusOf(stopped, mailbox));
    }

    [Fact]
    public async Task Progress_NotSignedIn_SentToTheLoginWithNoNumbers()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var stranger = AdminPages.Open(portal);
        var page = await stranger.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?handler=Progress");

        Assert.Equal("/Admin/Account/Login", stranger.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.DoesNotContain("mailboxes", page.Body!.TextContent);
        Assert.Equal(0, (await ProgressAsync(admin, project)).GetProperty("mailboxes").GetArrayLength());
    }

    private static async Task<JsonElement> ProgressAsync(AdminPages admin, int project)
    {
        var response = await admin.Client.Http.GetAsync($"/Admin/Projects/Dashboard/{project}?handler=Progress");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static Task<int> VersionAsync(PortalFactory portal, int mailbox) =>
        portal.WithDbAsync(db => db.Mailboxes.Where(m => m.Id == mailbox).Select(m => m.Version).SingleAsync());
}
