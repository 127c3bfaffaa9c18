using System.Net;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// Behind a reverse proxy the client's address comes from X-Forwarded-For, and the per-client limits count by it. A
/// real portal process (Kestrel, a real loopback connection) with ASP.NET Core's switch on, as the README tells
/// operators: the header is believed from the listed proxies only (loopback when none are listed), so a client that
/// reaches the portal directly cannot pick a new address per request to escape the sign-in throttle.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string Why = "the client address is settled before any database is involved; one run covers both";

    [SqliteFact(Why)]
    public async Task SignIn_ClientThatIsNoKnownProxySendsANewForwardedForEachTime_StillThrottledAsOneAddress()
    {
        await using var portal = await StartAsync(new() { ["ForwardedHeaders__KnownProxies__0"] = "192.0.2.10" });
        using var client = ForwardingClient(portal, out var forwardedFor);

        var statuses = new List<HttpStatusCode>();
        for (var i = 1; i <= 5; i++)
        {
            forwardedFor.Value = $"198.51.100.{i}";
            statuses.Add(await WrongSignInAsync(client, i));
        }

        // 4 failures per address are allowed: the fifth from this one address is refused, whatever it claimed to forward.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Contains("192.0.2.10", portal.Output);
    }

    [SqliteFact(Why)]
    public async Task SignIn_ThroughAProxyOnThisMachine_EachForwardedClientIsCountedOnItsOwn()
    {
        await using var portal = await StartAsync([]);
        using var client = ForwardingClient(portal, out var forwardedFor);

        // Five different clients behind the proxy, one wrong password each: none is throttled.
        var spread = new List<HttpStatusCode>();
        for (var i = 1; i <= 5; i++)
        {
            forwardedFor.Value = $"198.51.100.{i}";
            spread.Add(await WrongSignInAsync(client, i));
        }
        // One of them goes on guessing: its own fifth failure is refused.
        forwardedFor.Value = "198.51.100.1";
        var same = new List<HttpStatusCode>();
        for (var i = 2; i <= 5; i++)
            same.Add(await WrongSignInAsync(client, 10 + i));

        Assert.All(spread, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], same);
        Assert.Contains("loopback only", portal.Output);
    }

    [SqliteFact(Why)]
    public async Task StartUp_KnownProxyThatIsNoAddress_RefusedNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            StartAsync(new() { ["ForwardedHeaders__KnownProxies__0"] = "proxy.internal" }));

        Assert.Contains("ForwardedHeaders:KnownProxies has \"proxy.internal\", which is not an IP address", error.Message);
    }

    /// <summary>A real portal process on a SQLite file of its own, with ASP.NET Core's forwarded-headers switch on.</summary>
    internal static async Task<PortalProcess> StartAsync(Dictionary<string, string> settings)
    {
        var dir = Directory.CreateTempSubdirectory("migrationportal-proxy-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(dir, "portal.db")}",
            ["Database__Provider"] = "Sqlite",
            ["Admin__Email"] = PortalFactory.AdminEmail,
            ["Admin__Password"] = PortalFactory.AdminPassword,
            ["Smtp__Host"] = "",
            ["Smtp__PickupDirectory"] = Path.Combine(dir, "mail"),
            ["Migration__Enabled"] = "false",
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        return await PortalProcess.StartAsync(environment);
    }

    private static async Task<HttpStatusCode> WrongSignInAsync(HtmlClient client, int attempt)
    {
        await new AdminPages(client).LoginAsync(password: $"wrong-guess-{attempt}");
        return client.LastResponse!.StatusCode;
    }

    /// <summary>A client whose every request says it forwards for <paramref name="forwardedFor"/>'s current value.</summary>
    private static HtmlClient ForwardingClient(PortalProcess portal, out StrongBox forwardedFor)
    {
        var box = new StrongBox();
        forwardedFor = box;
        var handler = new ForwardedForHandler(box)
        {
            InnerHandler = new HttpClientHandler { AllowAutoRedirect = true, UseCookies = true, CookieContainer = new CookieContainer() },
        };
        return new HtmlClient(new HttpClient(handler) { BaseAddress = new Uri(portal.BaseUrl), Timeout = TimeSpan.FromSeconds(30) });
    }

    private sealed class StrongBox
    {
        public string Value { get; set; } = "";
    }

    private sealed class ForwardedForHandler(StrongBox forwardedFor) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            request.Headers.Remove("X-Forwarded-For");
            request.Headers.Add("X-Forwarded-For", forwardedFor.Value);
            return base.SendAsync(request, ct);
        }
    }
}
