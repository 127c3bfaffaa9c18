using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace MigrationPortal.Web.Startup;

/// <summary>
/// Emailed links are built from Portal:PublicBaseUrl, never from a request. A portal started on another address
/// (the default is http://localhost:5000) would email links that lead nowhere, and nothing else would say so:
/// once the server listens, this warns when that URL's scheme, host and port match none of its addresses.
/// </summary>
public sealed class PublicBaseUrlCheck(IServer server, IHostApplicationLifetime lifetime, IOptions<PortalOptions> options,
    ILogger<PublicBaseUrlCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Check);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Check()
    {
        // A server that reports no addresses (the test server) has nothing to compare with.
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0) return;

        var configured = options.Value.PublicBaseUrl;
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var publicUrl))
        {
            logger.LogWarning("Portal:PublicBaseUrl is not set: no credential link can be emailed. Set it to the address users reach, e.g. Portal__PublicBaseUrl=https://migrate.example.org");
            return;
        }
        if (addresses.Any(address => Serves(address, publicUrl))) return;

        logger.LogWarning(
            "Portal:PublicBaseUrl is {PublicBaseUrl} but the portal listens on {Addresses}, so the links it emails do not lead here. " +
            "That is fine behind a reverse proxy that serves {PublicBaseUrl}; otherwise set Portal__PublicBaseUrl to the address users reach.",
            configured, string.Join(", ", addresses), configured);
    }

    /// <summary>Whether a listening address (as Kestrel reports it: http://[::]:5000, http://localhost:5000…) answers <paramref name="publicUrl"/>.</summary>
    private static bool Serves(string listening, Uri publicUrl)
    {
        BindingAddress address;
        try { address = BindingAddress.Parse(listening); }
        catch (FormatException) { return false; }
        if (address.IsUnixPipe || address.IsNamedPipe) return false;
        if (!string.Equals(address.Scheme, publicUrl.Scheme, StringComparison.OrdinalIgnoreCase) || address.Port != publicUrl.Port)
            return false;

        var host = address.Host.Trim('[', ']');
        return host is "*" or "+" or "0.0.0.0" or "::"
            || (IsLoopback(host) && IsLoopback(publicUrl.IdnHost))
            || string.Equals(host, publicUrl.IdnHost.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
