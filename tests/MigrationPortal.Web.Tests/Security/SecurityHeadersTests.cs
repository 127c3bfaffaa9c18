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
            // Pages (with personal data and tokens) are never cached; the stylesheet keeps its own caching.
            if (path.StartsWith("/css/", StringComparison.Ordinal))
                Assert.DoesNotContain("no-store", response.Headers.CacheControl?.ToString() ?? "");
            else
                Assert.True(response.Headers.CacheControl?.NoStore, $"{path} is not no-store.");
        }
        var login = await AdminPages.Open(portal).Client.Http.GetAsync("/Admin/Account/Login");
        Assert.Single(Values(login, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Https_AntiforgeryAuthAndTempDataCookies_AreHostPrefixedAndSecure()
    {
        await using var portal = new PortalFactory();
        var cookies = await SignInAndAddLicensesAsync(portal, "https://localhost");

        // Over HTTPS each is a __Host- cookie: Secure, Path=/, no Domain, so no other host or plain-HTTP answer can set it.
        Assert.Equal(["__Host-MigrationPortal.Admin", "__Host-MigrationPortal.Antiforgery", "__Host-MigrationPortal.TempData"], cookies.Keys.Order());
        Assert.All(cookies.Values, attributes =>
        {
            Assert.Contains("secure", attributes);
            Assert.Contains("path=/", attributes);
            Assert.Contains("httponly", attributes);
            Assert.DoesNotContain(attributes, a => a.StartsWith("domain=", StringComparison.Ordinal));
        });
    }

    [SqliteFact("what Kestrel itself adds is the same on either database; one run covers both")]
    public async Task RealServer_NoAnswerNamesTheServerOrFramework()
    {
        await using var portal = await ForwardedHeadersTests.StartAsync([]);
        using var http = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };

        foreach (var path in new[] { "/Admin/Account/Login", "/Admin/Nowhere", "/css/site.css", "/access/not-a-real-token" })
        {
            using var response = await http.GetAsync(path);
            Assert.Empty(Values(response, "Server"));
            Assert.Empty(Values(response, "X-Powered-By"));
            Assert.Empty(Values(response, "X-AspNet-Version"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("Kestrel", body);
            Assert.DoesNotContain("ASP.NET", body);
        }
    }

    [Fact]
    public async Task Https_PublicHost_StrictTransportSecurityOnEveryAnswer()
    {
        await using var portal = new PortalFactory();
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://migrate.example.org"), AllowAutoRedirect = false });

        foreach (var path in new[] { "/Admin/Account/Login", "/access/not-a-real-token", "/css/site.css", "/Admin/Nowhere" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.Headers.TryGetValues("Strict-Transport-Security", out var hsts), $"{path}: no HSTS");
            Assert.Contains("max-age=", Assert.Single(hsts));
        }
        // Never over plain HTTP, where a browser would ignore it anyway.
        using var plain = await portal.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://migrate.example.org") })
            .GetAsync("/Admin/Account/Login");
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Http_SameCookies_AreNotSecureSoThePlainQuickStartWorks()
    {
        await using var portal = new PortalFactory();
        var cookies = await SignInAndAddLicensesAsync(portal, "http://localhost");

        Assert.Equal(["MigrationPortal.Admin", "MigrationPortal.Antiforgery", "MigrationPortal.TempData"], cookies.Keys.Order());
        Assert.All(cookies.Values, attributes => Assert.DoesNotContain("secure", attributes));
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
