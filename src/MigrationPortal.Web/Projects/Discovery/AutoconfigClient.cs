using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Options;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Web.Projects.Discovery;

/// <summary>
/// Thunderbird-style autoconfig: the domain's own <c>config-v1.1.xml</c>, fetched over HTTPS only (certificate verified,
/// redirects followed only to HTTPS), at most <see cref="DiscoveryOptions.MaxAutoconfigBytes"/>, read without a DTD.
/// </summary>
public sealed class AutoconfigClient(IHttpClientFactory http, IOptions<DiscoveryOptions> options, TimeProvider time)
{
    public const string HttpClientName = "Autoconfig";
    private const int MaxRedirects = 3;
    private const int MaxServers = 10;

    /// <summary>
    /// The autoconfig addresses in Thunderbird's order; the first that answers with a file is the domain's word
    /// (its IMAP servers, or none). Each address tried adds a line to <paramref name="steps"/>.
    /// </summary>
    public async Task<IReadOnlyList<Proposal>> FindAsync(string domain, List<string> steps, CancellationToken ct)
    {
        foreach (var url in Urls(domain))
        {
            var where = $"autoconfig at {url}";
            var (document, failure) = await FetchAsync(url, ct);
            if (document is null)
            {
                steps.Add($"{where}: {failure}");
                continue;
            }
            var (proposals, note) = Read(document, domain, where);
            steps.Add($"{where}: {note}");
            return proposals;
        }
        return [];
    }

    public IEnumerable<Uri> Urls(string domain)
    {
        var port = options.Value.AutoconfigHttpsPort;
        var authority = port == 443 ? "" : string.Create(CultureInfo.InvariantCulture, $":{port}");
        yield return new Uri($"https://autoconfig.{domain}{authority}/mail/config-v1.1.xml");
        yield return new Uri($"https://{domain}{authority}/.well-known/autoconfig/mail/config-v1.1.xml");
    }

    /// <summary>The handler for <see cref="HttpClientName"/>: addresses from <see cref="DiscoveryDns"/>, no automatic redirects, verified TLS.</summary>
    public static SocketsHttpHandler CreateHandler(DiscoveryDns dns, DiscoveryOptions settings)
    {
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = (context, ct) => dns.ConnectAsync(context.DnsEndPoint, ct),
            SslOptions = new SslClientAuthenticationOptions
            {
                // The system's validation (chain, name, as HttpClient's default), or exactly a certificate the admin listed.
                RemoteCertificateValidationCallback = ServerCertificates.SystemOrListed(settings.TrustedCertificateSha256),
            },
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
    }

    private async Task<(XDocument? Document, string? Failure)> FetchAsync(Uri url, CancellationToken ct)
    {
        var settings = options.Value;
        using var deadline = new CancellationTokenSource(settings.HttpTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        using var client = http.CreateClient(HttpClientName);
        var address = url;
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, address);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/xml"));
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    if (response.Headers.Location is not { } location)
                        return (null, $"redirected without saying where ({status})");
                    var next = location.IsAbsoluteUri ? location : new Uri(address, location);
                    if (next.Scheme != Uri.UriSchemeHttps)
                        return (null, $"redirected to {Shorten(next.ToString())}, which is not HTTPS: not followed");
                    if (redirects == MaxRedirects)
                        return (null, $"more than {MaxRedirects} redirects: not followed");
                    address = next;
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                    return (null, $"not found (the server answered {status} {Shorten(response.ReasonPhrase ?? "")})".Replace(" )", ")", StringComparison.Ordinal));
                var redirected = address == url ? "" : $" (redirected to {Shorten(address.ToString())})";
                if (response.Content.Headers.ContentLength > settings.MaxAutoconfigBytes)
                    return (null, $"the file is larger than {settings.MaxAutoconfigBytes / 1024} KB{redirected}: not read");
                var bytes = await ReadCappedAsync(response.Content, settings.MaxAutoconfigBytes, linked.Token);
                if (bytes is null)
                    return (null, $"the file is larger than {settings.MaxAutoconfigBytes / 1024} KB{redirected}: not read");
                return Parse(bytes, redirected);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"no answer within {settings.HttpTimeout.TotalSeconds:0.#} s"));
        }
        catch (HttpRequestException e)
        {
            return (null, $"could not be fetched ({Describe(e)})");
        }
    }

    private static async Task<byte[]?> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var copy = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            if (copy.Length + read > maxBytes)
                return null;
            copy.Write(buffer, 0, read);
        }
        return copy.ToArray();
    }

    private static (XDocument? Document, string? Failure) Parse(byte[] bytes, string redirected)
    {
        var settings = new XmlReaderSettings
        {
            // No DTD at all: no entity expansion ("billion laughs") and nothing fetched from elsewhere.
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 1024,
            MaxCharactersInDocument = bytes.Length * 4L + 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes), settings);
            return (XDocument.Load(reader), null);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.Ordinal))
        {
            return (null, $"the file declares a DTD, which the portal does not read{redirected}: ignored");
        }
        catch (XmlException e)
        {
            return (null, $"not an autoconfig file: it is not well-formed XML ({Shorten(e.Message)}){redirected}");
        }
    }

    private static (IReadOnlyList<Proposal> Proposals, string Note) Read(XDocument document, string domain, string where)
    {
        if (document.Root is not { Name.LocalName: "clientConfig" } root)
            return ([], $"not an autoconfig file (its root element is <{Shorten(document.Root?.Name.LocalName ?? "")}>, not <clientConfig>)");
        var proposals = new List<Proposal>();
        var skipped = new List<string>();
        var servers = root.Elements().Where(e => e.Name.LocalName == "emailProvider")
            .SelectMany(p => p.Elements().Where(e => e.Name.LocalName == "incomingServer"))
            .Where(s => string.Equals((string?)s.Attribute("type"), "imap", StringComparison.OrdinalIgnoreCase))
            .Take(MaxServers);
        foreach (var server in servers)
        {
            var host = Child(server, "hostname").Replace("%EMAILDOMAIN%", domain, StringComparison.OrdinalIgnoreCase).Trim().TrimEnd('.').ToLowerInvariant();
            var portText = Child(server, "port");
            var socketType = Child(server, "socketType");
            TlsMode? security = socketType.ToUpperInvariant() switch
            {
                "SSL" or "TLS" => TlsMode.Tls,
                "STARTTLS" => TlsMode.StartTls,
                "PLAIN" => TlsMode.None,
                _ => null,
            };
            if (!MailDomain.IsHostName(host) || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535 || security is null)
            {
                skipped.Add($"{Shorten(host)}:{Shorten(portText)} ({Shorten(socketType)})");
                continue;
            }
            proposals.Add(new Proposal(host, port, security.Value, where));
        }
        var note = proposals.Count == 0 ? "the file lists no IMAP server" : $"{proposals.Count} IMAP server{(proposals.Count == 1 ? "" : "s")}";
        if (skipped.Count > 0)
            note += $"; ignored, not a host, port and socket type the portal can use: {string.Join(", ", skipped)}";
        return (proposals, note);
    }

    private static string Child(XElement server, string name) =>
        server.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

    private static string Describe(HttpRequestException e)
    {
        var messages = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is System.Security.Authentication.AuthenticationException)
                return "its HTTPS certificate is not trusted";
            messages.Add(x.Message);
        }
        return Shorten(messages[^1].TrimEnd('.'));
    }

    // An autoconfig server writes what it likes: keep what reaches the page bounded.
    private static string Shorten(string text)
    {
        var oneLine = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= 120 ? oneLine : oneLine[..120] + "…";
    }
}
