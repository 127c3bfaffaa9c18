using System.ComponentModel.DataAnnotations;

namespace MigrationPortal.Web.Projects.Discovery;

/// <summary>The <c>Discovery</c> section: where Find settings looks and how long it may take.</summary>
public sealed class DiscoveryOptions
{
    public const string Section = "Discovery";

    /// <summary>
    /// DNS servers asked for SRV, MX and address records, each <c>host:port</c> or <c>host</c> (port 53). Empty: the
    /// system's resolvers. For split DNS, where the portal's own resolver does not see the mail domains' public records.
    /// </summary>
    public List<string> DnsServers { get; set; } = [];

    /// <summary>The port autoconfig is fetched from over HTTPS (443): for an autoconfig server published on another port.</summary>
    [Range(1, 65535)]
    public int AutoconfigHttpsPort { get; set; } = 443;

    /// <summary>
    /// SHA-256 fingerprints of autoconfig HTTPS certificates accepted besides those the system trusts, as a project's
    /// pin: exactly that certificate, whatever its chain or names. For an internal autoconfig server with a private certificate.
    /// </summary>
    public List<string> TrustedCertificateSha256 { get; set; } = [];

    /// <summary>Bounds each DNS query.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Bounds each autoconfig fetch (connecting, TLS, the whole answer).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bounds each IMAP connection that checks a proposal (and its test login).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Bounds the whole search, so the page always answers; what is not checked by then is shown as such.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>An autoconfig file larger than this is not read.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxAutoconfigBytes { get; set; } = 64 * 1024;
}
