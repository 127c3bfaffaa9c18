using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;

namespace MigrationPortal.Web.Projects.Discovery;

/// <summary>
/// Every DNS question Find settings asks (SRV, MX, and the addresses of autoconfig hosts and guesses), through
/// DnsClient, to <c>Discovery:DnsServers</c> or the system's resolvers.
/// </summary>
public sealed class DiscoveryDns
{
    private readonly LookupClient _lookup;

    public DiscoveryDns(IOptions<DiscoveryOptions> options)
    {
        var settings = options.Value;
        var servers = settings.DnsServers.Select(ParseServer).ToArray();
        var lookup = servers.Length == 0 ? new LookupClientOptions() : new LookupClientOptions(servers);
        // Answers are wanted as they are now: an admin who fixes a record and presses Find settings again should see it.
        lookup.UseCache = false;
        lookup.Timeout = settings.DnsTimeout;
        lookup.Retries = 1;
        lookup.ThrowDnsErrors = false;
        lookup.UseTcpFallback = true;
        _lookup = new LookupClient(lookup);
    }

    /// <summary>An entry of <c>Discovery:DnsServers</c>: an IP address, with <c>:port</c> when not 53 ([v6]:port for IPv6).</summary>
    public static NameServer ParseServer(string entry)
    {
        var text = entry.Trim();
        if (IPAddress.TryParse(text, out var address))
            return new NameServer(address, 53);
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0)
            return new NameServer(endpoint);
        throw new OptionsValidationException(DiscoveryOptions.Section, typeof(DiscoveryOptions),
            [$"Discovery:DnsServers: '{entry}' is not an IP address or address:port (e.g. 10.0.0.53 or 127.0.0.1:5353)."]);
    }

    /// <returns>The records of that type (CNAMEs followed by the server); none for a name that does not exist; or why the question went unanswered.</returns>
    public async Task<(IReadOnlyList<T> Records, string? Failure)> QueryAsync<T>(string name, QueryType type, CancellationToken ct) where T : DnsResourceRecord
    {
        try
        {
            var response = await _lookup.QueryAsync(name, type, QueryClass.IN, ct);
            if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
                return ([], $"the DNS server answered {response.ErrorMessage}");
            return (response.Answers.OfType<T>().ToList(), null);
        }
        catch (DnsResponseException e)
        {
            return ([], $"no answer from DNS ({e.Message.TrimEnd('.')})");
        }
    }

    /// <summary>The host's IPv4 and IPv6 addresses; an IP address written as a host is itself.</summary>
    public async Task<IReadOnlyList<IPAddress>> AddressesAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var literal))
            return [literal];
        var v4 = QueryAsync<ARecord>(host, QueryType.A, ct);
        var v6 = QueryAsync<AaaaRecord>(host, QueryType.AAAA, ct);
        var (a, _) = await v4;
        var (aaaa, _) = await v6;
        return [.. a.Select(r => r.Address), .. aaaa.Select(r => r.Address)];
    }

    /// <summary>
    /// Opens the autoconfig fetch's connection to an address this resolver gave, so the autoconfig host is looked up
    /// where the SRV and MX records are (SocketsHttpHandler's ConnectCallback; TLS and the host name stay HttpClient's).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint target, CancellationToken ct)
    {
        var addresses = await AddressesAsync(target.Host, ct);
        if (addresses.Count == 0)
            throw new HttpRequestException($"{target.Host} has no address in DNS");
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new HttpRequestException($"could not connect to {target.Host}:{target.Port} ({last!.Message})", last);
    }
}
