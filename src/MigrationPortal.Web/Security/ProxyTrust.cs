using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace MigrationPortal.Web.Security;

/// <summary>
/// The <c>ForwardedHeaders</c> section: which reverse proxies' <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the
/// portal believes. The client address they give is what the secure form's and the sign-in's per-client limits count
/// by, so a header believed from anyone would let anyone who reaches the portal directly pick a fresh address per
/// request. ASP.NET Core's own switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>) trusts the header from every
/// client; here it is trusted only from the proxies and networks listed, or from loopback (a proxy on the same
/// machine) when none are.
/// </summary>
public sealed class ProxyTrust
{
    public const string Section = "ForwardedHeaders";

    /// <summary>The framework's switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>): it adds the middleware itself.</summary>
    public const string FrameworkSwitch = "FORWARDEDHEADERS_ENABLED";

    /// <summary>Addresses of the proxies in front of the portal, e.g. <c>10.0.0.2</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, in CIDR form, e.g. <c>10.0.0.0/24</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public IReadOnlyList<IPAddress> Proxies { get; private set; } = [];
    public IReadOnlyList<System.Net.IPNetwork> Networks { get; private set; } = [];

    /// <summary>Forwarded headers are read: the framework's switch is on, or a proxy or network is listed here.</summary>
    public bool Enabled => SwitchedOnByFramework || !LoopbackOnly;

    /// <summary>ASP.NET Core's switch is on: its start-up filter puts the middleware first itself.</summary>
    public bool SwitchedOnByFramework { get; private set; }

    /// <summary>Nothing listed: only a proxy on this machine is believed.</summary>
    public bool LoopbackOnly => Proxies.Count == 0 && Networks.Count == 0;

    /// <summary>Reads the section; an entry that is not an address or a network stops the start with a message naming it.</summary>
    public static ProxyTrust Read(IConfiguration configuration)
    {
        var trust = configuration.GetSection(Section).Get<ProxyTrust>() ?? new ProxyTrust();
        trust.Proxies = trust.KnownProxies.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => IPAddress.TryParse(p.Trim(), out var address)
            ? address
            : throw new InvalidOperationException($"{Section}:KnownProxies has \"{p}\", which is not an IP address (e.g. 10.0.0.2).")).ToList();
        trust.Networks = trust.KnownNetworks.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => System.Net.IPNetwork.TryParse(n.Trim(), out var network)
            ? network
            : throw new InvalidOperationException($"{Section}:KnownNetworks has \"{n}\", which is not a network in CIDR form (e.g. 10.0.0.0/24).")).ToList();
        trust.SwitchedOnByFramework = string.Equals(configuration[FrameworkSwitch], "true", StringComparison.OrdinalIgnoreCase);
        return trust;
    }

    /// <summary>
    /// Runs after the framework's own configuration (which, with its switch on, clears the known proxies so that every
    /// client is believed): only the listed proxies, or loopback, are.
    /// </summary>
    public void Apply(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        if (LoopbackOnly)
        {
            options.KnownProxies.Add(IPAddress.Loopback);
            options.KnownProxies.Add(IPAddress.IPv6Loopback);
            return;
        }
        foreach (var proxy in Proxies) options.KnownProxies.Add(proxy);
        foreach (var network in Networks) options.KnownIPNetworks.Add(network);
    }

    public string Describe() => LoopbackOnly
        ? "loopback only (a proxy on this machine); list others in ForwardedHeaders:KnownProxies or KnownNetworks"
        : string.Join(", ", Proxies.Select(p => p.ToString()).Concat(Networks.Select(n => n.ToString())));
}
