using Microsoft.AspNetCore.Mvc.Testing;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>Every page, admin or public, carries a content security policy and its companions; cookies are Secure over HTTPS.</summary>
public sealed class SecurityHeadersTests
{
    [Fact]
    public async Task AdminAndPublicResponses_CarryCspNosniffAndReferrerPolicy()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        foreach (var path in new[] { "/Admin/Projects", $"/Admin/Projects/Dashboard/{project}", "/Admin/Licenses", "/Admin/Outbox", "/Admin/Nowhere", "/", "/css/site.css" })
        {
            var response = await admin.Client.Http.GetAsync(path);

            var csp = Assert.Single(Values(response, "Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("style-src 'self'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.Equal(["nosniff"], Values(response, "X-Content-Type-Options"));
            Assert.Single(Values(response, "Referrer-Policy"));
        }
        var login = await AdminPages.Open(portal).Client.Http.GetAsync("/Admin/Account/Login");
        Assert.Single(Values(login, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Https_AntiforgeryAuthAndTempDataCookies_AreSecure()
    {
        await using var portal = new PortalFactory();
        var cookies = await SignInAndAddLicensesAsync(portal, "https://localhost");

        Assert.Contains("secure", cookies["MigrationPortal.Antiforgery"]);
        Assert.Contains("secure", cookies["MigrationPortal.Admin"]);
        Assert.Contains("secure", cookies[".AspNetCore.Mvc.CookieTempDataProvider"]);
    }

    [Fact]
    public async Task Http_SameCookies_AreNotSecureSoThePlainQuickStartWorks()
    {
        await using var portal = new PortalFactory();
        var cookies = await SignInAndAddLicensesAsync(portal, "http://localhost");

        Assert.DoesNotContain("secure", cookies["MigrationPortal.Antiforgery"]);
        Assert.DoesNotContain("secure", cookies["MigrationPortal.Admin"]);
        Assert.DoesNotContain("secure", cookies[".AspNetCore.Mvc.CookieTempDataProvider"]);
    }

    /// <summary>Logs in and adds licenses without following redirects, so every Set-Cookie is seen; the attributes of each cookie (after its value), lower case.</summary>
    private static async Task<Dictionary<string, List<string>>> SignInAndAddLicensesAsync(PortalFactory portal, string baseAddress)
    {
        var client = new HtmlClient(portal.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(baseAddress),
            AllowAutoRedirect = false,
            HandleCookies = true,
        }));
        var setCookies = new List<string>();
        var login = await client.GetAsync("/Admin/Account/Login");
        setCookies.AddRange(Values(client.LastResponse!, "Set-Cookie"));
        await client.SubmitAsync(AdminPages.Form(login), "Log in", new Dictionary<string, string>
        {
            ["Input.Email"] = PortalFactory.AdminEmail,
            ["Input.Password"] = PortalFactory.AdminPassword,
        });
        setCookies.AddRange(Values(client.LastResponse!, "Set-Cookie"));
        var licenses = await client.GetAsync("/Admin/Licenses");
        await client.SubmitAsync(AdminPages.Form(licenses), "Add licenses", new Dictionary<string, string> { ["Input.Quantity"] = "1" });
        setCookies.AddRange(Values(client.LastResponse!, "Set-Cookie"));

        return setCookies
            .GroupBy(c => c[..c.IndexOf('=')])
            .ToDictionary(g => g.Key, g => g.Last().Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList());
    }

    private static IEnumerable<string> Values(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out var values) ? values
        : response.Content.Headers.TryGetValues(header, out var content) ? content : [];
}
