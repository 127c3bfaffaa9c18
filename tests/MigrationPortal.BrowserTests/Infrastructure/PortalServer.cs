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
    internal PortalServer(IReadOnlyDictionary<string, string?> settings) => Factory = new PortalFactory(settings);

    public PortalFactory Factory { get; }

    public string BaseUrl { get; private set; } = "";

    public Task InitializeAsync()
    {
        Factory.UseKestrel(0);
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
