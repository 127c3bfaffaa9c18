using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.BrowserTests.Infrastructure;

/// <summary>The portal on a real loopback Kestrel port, so a real browser can reach it.</summary>
public sealed class PortalServer : IAsyncLifetime
{
    public PortalServer() => Factory = new PortalFactory();

    /// <summary>For a test that needs its own portal with extra configuration (xunit fixtures use the other constructor).</summary>
    internal PortalServer(IReadOnlyDictionary<string, string?> settings, int port = 0)
    {
        Factory = new PortalFactory(settings);
        _port = port;
    }

    private readonly int _port;

    /// <summary>
    /// A portal whose public address is its own loopback address (http://127.0.0.1:port), so that an address the portal
    /// gives away, such as the redirect URI a provider sends the browser back to, leads to it.
    /// </summary>
    internal static PortalServer AtItsPublicAddress(Dictionary<string, string?> settings)
    {
        // A port chosen before start: the public address is configuration, read when the portal starts.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        settings["Portal:PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        return new PortalServer(settings, port);
    }

    public PortalFactory Factory { get; }

    /// <summary>
    /// A portal that emails through the fixture's real SMTP server with links to a public address (a test opens their
    /// paths on <see cref="BaseUrl"/>), and, when <paramref name="migrating"/>, runs the migration worker (the test portal
    /// keeps it off unless asked).
    /// </summary>
    internal static PortalServer Emailing(Web.Tests.Access.MailServers servers, bool migrating = false, IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Portal:PublicBaseUrl"] = "https://migrate.example.test",
            ["Outbox:PollInterval"] = "00:00:00.500",
        };
        if (migrating)
        {
            settings["Migration:Enabled"] = "true";
            settings["Migration:Heartbeat"] = "00:00:00.200";
            settings["Migration:PollInterval"] = "00:00:00.500";
        }
        foreach (var (key, value) in more ?? new Dictionary<string, string?>()) settings[key] = value;
        return new PortalServer(settings);
    }

    public string BaseUrl { get; private set; } = "";

    public Task InitializeAsync()
    {
        Factory.UseKestrel(_port);
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
