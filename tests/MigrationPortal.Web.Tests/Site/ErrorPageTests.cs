using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Site;

/// <summary>Not found, gone and server errors get a real page: the admin's layout in the admin area, the public one elsewhere.</summary>
public sealed class ErrorPageTests
{
    [Theory]
    [InlineData("/Admin/Projects/Dashboard/99999")]
    [InlineData("/Admin/Projcts")]
    public async Task AdminUrl_NotFound_AdminLayoutWithAWayBack(string path)
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();

        var page = await admin.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, admin.Client.LastResponse!.StatusCode);
        Assert.Equal("Page not found", page.QuerySelector("main h1")?.TextContent);
        Assert.NotNull(page.QuerySelector("nav[aria-label='Main'] a[href='/Admin/Projects']"));
        Assert.NotNull(page.QuerySelector("main a[href='/Admin']"));
        AssertHasFavicon(page);
    }

    [Fact]
    public async Task PublicUrl_NotFound_PublicLayoutWithTheAccessPagesHeaders()
    {
        await using var portal = new PortalFactory();
        var client = AdminPages.Open(portal).Client;

        var page = await client.GetAsync("/acces/mistyped");

        var response = client.LastResponse!;
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Page not found", page.QuerySelector("main h1")?.TextContent);
        Assert.Equal("Mailbox migration", page.QuerySelector("header .brand")?.TextContent);
        Assert.Empty(page.QuerySelectorAll("a[href^='/Admin'], nav"));
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        AssertHasFavicon(page);
    }

    [Fact]
    public async Task InvalidAccessLink_KeepsItsOwnNeutralGonePage()
    {
        await using var portal = new PortalFactory();
        var client = AdminPages.Open(portal).Client;

        var page = await client.GetAsync("/access/not-a-real-token");

        Assert.Equal(HttpStatusCode.Gone, client.LastResponse!.StatusCode);
        Assert.Equal("This link is no longer valid. Ask your administrator to send a new one.", page.QuerySelector("#neutral")?.TextContent);
        Assert.Single(page.QuerySelectorAll("main h1"));
        AssertHasFavicon(page);
    }

    [Fact]
    public async Task AdminPage_ServerError_AdminLayoutWithAWayBack()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        // A real failure: the table the dashboard reads is gone.
        await portal.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(DropTable(portal, "MigrationPasses")));

        var page = await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}");

        Assert.Equal(HttpStatusCode.InternalServerError, admin.Client.LastResponse!.StatusCode);
        Assert.Equal("Something went wrong", page.QuerySelector("main h1")?.TextContent);
        Assert.NotNull(page.QuerySelector("nav[aria-label='Main']"));
        Assert.NotNull(page.QuerySelector("main a[href='/Admin']"));
        // Nothing of the failure reaches the page: no stack trace, no exception or database message, no framework name.
        var html = await admin.Client.LastResponse.Content.ReadAsStringAsync();
        foreach (var leak in new[] { "Exception", "   at ", "MigrationPasses", "SQLite", "Npgsql", "Microsoft.", "ASP.NET", "Kestrel", ".cs:line" })
            Assert.DoesNotContain(leak, html);
        Assert.Contains(portal.LogLines, l => l.StartsWith("Error") || l.StartsWith("Critical"));
    }

    [Fact]
    public async Task AccessLink_ServerError_PublicLayoutWithTheAccessPagesHeaders()
    {
        await using var portal = new PortalFactory();
        var client = AdminPages.Open(portal).Client;
        var token = portal.Services.GetRequiredService<CredentialLinks>().CreateToken(Guid.NewGuid(), new byte[CredentialRequest.NonceBytes]);
        await portal.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(DropTable(portal, "CredentialRequests")));

        var page = await client.GetAsync("/access/" + token);

        var response = client.LastResponse!;
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("Something went wrong", page.QuerySelector("main h1")?.TextContent);
        Assert.Equal("Mailbox migration", page.QuerySelector("header .brand")?.TextContent);
        Assert.Empty(page.QuerySelectorAll("a[href^='/Admin'], nav"));
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task Favicon_LinkedFromEveryLayout_IsServed()
    {
        await using var portal = new PortalFactory();
        var client = AdminPages.Open(portal).Client;
        var login = await client.GetAsync("/Admin/Account/Login");

        var icon = await client.Http.GetAsync(login.QuerySelector("link[rel='icon']")!.GetAttribute("href"));

        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
    }

    private static void AssertHasFavicon(IHtmlDocument page)
    {
        var href = page.QuerySelector("link[rel='icon']")?.GetAttribute("href");
        Assert.StartsWith("/favicon.svg?v=", href);
    }

    /// <summary>A table dropped to make the pages that read it fail; PostgreSQL also drops what refers to it (SQLite does not check).</summary>
    private static string DropTable(PortalFactory portal, string table) =>
        portal.Provider == MigrationPortal.Data.DatabaseProvider.Postgres ? $"DROP TABLE \"{table}\" CASCADE" : $"DROP TABLE \"{table}\"";
}
