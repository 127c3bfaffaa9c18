using Microsoft.Extensions.Options;

namespace MigrationPortal.Web.Projects.Discovery;

public static class DiscoveryServices
{
    /// <summary>Find settings on the project form: its options (checked at start-up), DNS, the autoconfig HTTP client.</summary>
    public static IServiceCollection AddServerSettingsDiscovery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DiscoveryOptions>().Bind(configuration.GetSection(DiscoveryOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.DnsServers.All(s => Try(() => DiscoveryDns.ParseServer(s))),
                "Discovery:DnsServers: each entry must be an IP address or address:port (e.g. 10.0.0.53 or 127.0.0.1:5353).")
            .Validate(o => o.TrustedCertificateSha256.All(Core.Projects.ImapEndpoint.IsCertificateSha256),
                "Discovery:TrustedCertificateSha256: each entry must be a SHA-256 fingerprint (64 hexadecimal characters).")
            .ValidateOnStart();
        services.AddSingleton<DiscoveryDns>();
        services.AddHttpClient(AutoconfigClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
                AutoconfigClient.CreateHandler(sp.GetRequiredService<DiscoveryDns>(), sp.GetRequiredService<IOptions<DiscoveryOptions>>().Value));
        services.AddSingleton<AutoconfigClient>();
        services.AddSingleton<ServerSettingsDiscovery>();
        services.AddSingleton<EndpointChoices>();
        return services;
    }

    private static bool Try(Action check)
    {
        try
        {
            check();
            return true;
        }
        catch (Exception e) when (e is OptionsValidationException or Core.DomainValidationException)
        {
            return false;
        }
    }
}
