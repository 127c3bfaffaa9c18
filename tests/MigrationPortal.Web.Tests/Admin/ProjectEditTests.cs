using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Data;
using MigrationPortal.Web.Areas.Admin.Pages.Projects;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>Two admins editing one project: the later save of a form opened before the earlier save changes nothing.</summary>
public sealed class ProjectEditTests
{
    [Fact]
    public async Task Edit_TwoAdminsOpenedTheSameProject_SecondSaveShowsItChangedAndTheFirstChangeStands()
    {
        await using var portal = new PortalFactory();
        var first = AdminPages.Open(portal);
        await first.LoginAsync();
        var second = AdminPages.Open(portal);
        await second.LoginAsync();
        var project = await first.CreateProjectAsync("Acme move");
        var firstForm = await first.Client.GetAsync($"/Admin/Projects/Edit/{project}");
        var secondForm = await second.Client.GetAsync($"/Admin/Projects/Edit/{project}");

        await first.Client.SubmitAsync(AdminPages.Form(firstForm), "Save", new Dictionary<string, string> { ["Input.Name"] = "Acme move (first)" });
        Assert.Equal($"/Admin/Projects/Dashboard/{project}", first.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        var refused = await second.Client.SubmitAsync(AdminPages.Form(secondForm), "Save", new Dictionary<string, string> { ["Input.MaxConcurrentMigrations"] = "7" });

        Assert.Equal(HttpStatusCode.OK, second.Client.LastResponse!.StatusCode);
        Assert.Equal($"/Admin/Projects/Edit/{project}", second.Client.LastResponse.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains(EditModel.ChangedText, refused.QuerySelector("#changed-meanwhile")?.TextContent ?? "(no message) " + refused.Body!.TextContent);
        Assert.Equal($"/Admin/Projects/Edit/{project}", refused.QuerySelector("#changed-meanwhile a")!.GetAttribute("href"));
        Assert.Equal(("Acme move (first)", 5), await NameAndCapAsync(portal, project));

        // After the reload the second admin's change goes through, on top of the first's.
        var reloaded = await second.Client.GetAsync(refused.QuerySelector("#changed-meanwhile a")!.GetAttribute("href")!);
        Assert.Equal("Acme move (first)", reloaded.QuerySelector("input[name='Input.Name']")!.GetAttribute("value"));
        await second.Client.SubmitAsync(AdminPages.Form(reloaded), "Save", new Dictionary<string, string> { ["Input.MaxConcurrentMigrations"] = "7" });
        Assert.Equal($"/Admin/Projects/Dashboard/{project}", second.Client.LastResponse.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Equal(("Acme move (first)", 7), await NameAndCapAsync(portal, project));
    }

    [Fact]
    public async Task Edit_SavedTwiceBySameAdmin_EachSaveFromAFreshFormGoesThrough()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync("Acme move");

        await admin.SetMaxConcurrentMigrationsAsync(project, 3);
        await admin.SetMaxConcurrentMigrationsAsync(project, 4);

        Assert.Equal(("Acme move", 4), await NameAndCapAsync(portal, project));
    }

    /// <summary>
    /// The save itself is guarded, not only the page's comparison before it: a project loaded before another save
    /// committed is not written over it (xmin on PostgreSQL, the Version column on SQLite).
    /// </summary>
    [Fact]
    public async Task SaveChanges_ProjectChangedAfterItWasLoaded_ThrowsConcurrencyAndKeepsTheOtherChange()
    {
        await using var portal = new PortalFactory();
        var id = await PortalSeed.ProjectAsync(portal, "Acme move", maxConcurrent: 5);
        await using var staleScope = portal.Services.CreateAsyncScope();
        var staleDb = staleScope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var stale = await staleDb.Projects.SingleAsync(p => p.Id == id);

        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var fresh = await db.Projects.SingleAsync(p => p.Id == id);
            fresh.Update("Renamed", fresh.Source, fresh.Destination, fresh.MaxConcurrentMigrations);
            await db.SaveChangesAsync();
        }
        stale.Update(stale.Name, stale.Source, stale.Destination, 9);

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => staleDb.SaveChangesAsync());
        Assert.Equal(("Renamed", 5), await NameAndCapAsync(portal, id));
    }

    private static Task<(string, int)> NameAndCapAsync(PortalFactory portal, int project) =>
        portal.WithDbAsync(async db => await db.Projects.AsNoTracking().Where(p => p.Id == project)
            .Select(p => new ValueTuple<string, int>(p.Name, p.MaxConcurrentMigrations)).SingleAsync());
}
