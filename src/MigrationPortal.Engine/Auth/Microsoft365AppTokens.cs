using System.Globalization;
using System.Net;
using Microsoft.Identity.Client;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// A Microsoft Entra app registration with the Office 365 Exchange Online IMAP.AccessAsApp permission (admin-consented,
/// and a service principal the Exchange admin granted the mailboxes): its tokens open every mailbox it was granted.
/// </summary>
/// <param name="ClientSecret">The client secret's value; empty when the app proves itself with <see cref="Certificate"/>.</param>
public sealed record Microsoft365AppSettings(string TenantId, string ClientId, string ClientSecret)
{
    /// <summary>
    /// A certificate with its private key, uploaded to the app registration instead of a secret: MSAL signs a client
    /// assertion with it (RFC 7523), so nothing reusable travels to the endpoint. Null: the client secret.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    public static readonly Uri DefaultAuthorityHost = new("https://login.microsoftonline.com/");
    public const string DefaultScope = "https://outlook.office365.com/.default";

    /// <summary>The identity platform's host (another cloud's, or a test's); MSAL's known hosts are validated, others are not.</summary>
    public Uri AuthorityHost { get; init; } = DefaultAuthorityHost;

    public string Scope { get; init; } = DefaultScope;

    // A record prints every property: settings logged by mistake must not print the client secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("TenantId = ").Append(TenantId).Append(", ClientId = ").Append(ClientId)
            .Append(", AuthorityHost = ").Append(AuthorityHost).Append(", Scope = ").Append(Scope);
        return true;
    }
}

/// <summary>
/// Microsoft 365 app-only tokens: the client-credentials grant through MSAL, one token for every mailbox (the IMAP login
/// names the mailbox, XOAUTH2's user=). One MSAL confidential client per settings: its in-memory app token cache hands
/// the same token to every connection until shortly before it expires (MSAL's own 5-minute margin) and then asks for a
/// new one, so no cache of ours sits on top of it. MSAL takes no clock, so that margin runs on the system's time: the
/// token source cannot be driven by a fake TimeProvider, and its tests use short real lifetimes instead.
/// </summary>
public sealed class Microsoft365AppTokens : IAccessTokenSource, IDisposable
{
    private readonly Microsoft365AppSettings _settings;
    private readonly IConfidentialClientApplication _app;
    private readonly HttpClient _http;

    /// <param name="handler">Makes the handler MSAL's requests go through (<see cref="TokenEndpointHttp.Handler"/> by default).</param>
    public Microsoft365AppTokens(Microsoft365AppSettings settings, Func<HttpMessageHandler>? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.TenantId);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.ClientId);
        if (settings.Certificate is null)
            ArgumentException.ThrowIfNullOrEmpty(settings.ClientSecret);
        else if (!settings.Certificate.HasPrivateKey)
            throw new ArgumentException("The certificate's private key is needed to sign the client assertion.", nameof(settings));
        if (settings.AuthorityHost.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException("MSAL accepts only an HTTPS authority.", nameof(settings));
        _settings = settings;
        _http = new HttpClient((handler ?? (() => TokenEndpointHttp.Handler()))(), disposeHandler: true) { Timeout = TokenEndpointHttp.Timeout };

        var authority = new Uri(settings.AuthorityHost, Uri.EscapeDataString(settings.TenantId.Trim()) + "/").ToString();
        var builder = ConfidentialClientApplicationBuilder.Create(settings.ClientId.Trim()).WithHttpClientFactory(new SingleClient(_http));
        builder = settings.Certificate is { } certificate ? builder.WithCertificate(certificate) : builder.WithClientSecret(settings.ClientSecret);
        builder = IsKnownHost(settings.AuthorityHost)
            ? builder.WithAuthority(authority)
            // Any other host would first be looked up through login.microsoftonline.com's instance discovery, which
            // knows nothing of it (and is not reachable from an isolated network): it is used as it is, an AAD-shaped
            // authority whose token endpoint is <host>/<tenant>/oauth2/v2.0/token.
            : builder.WithAuthority(authority, validateAuthority: false).WithInstanceDiscovery(false);
        _app = builder.Build();
    }

    public async ValueTask<AccessToken> GetAsync(string mailbox, CancellationToken ct)
    {
        try
        {
            var result = await _app.AcquireTokenForClient([_settings.Scope]).ExecuteAsync(ct);
            return new AccessToken(result.AccessToken, result.ExpiresOn);
        }
        catch (MsalServiceException e)
        {
            throw new AccessTokenException(Describe(e), e)
            {
                IsTransient = e.StatusCode is 0 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500,
            };
        }
        catch (MsalClientException e)
        {
            // A failure on our side of MSAL (a malformed authority, no network): MSAL's words, which hold no secret.
            throw new AccessTokenException(string.Create(CultureInfo.InvariantCulture,
                $"No token from {_settings.AuthorityHost.Host} for the app {_settings.ClientId}: {e.ErrorCode}: {e.Message}"), e)
            { IsTransient = e.InnerException is HttpRequestException or TaskCanceledException };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new AccessTokenException(string.Create(CultureInfo.InvariantCulture,
                $"{_settings.AuthorityHost.Host} could not be reached for a token for the app {_settings.ClientId}: {e.Message}"), e)
            { IsTransient = true };
        }
    }

    // MSAL's Message for a refusal is the endpoint's error_description ("AADSTS7000215: Invalid client secret provided. …")
    // and its ErrorCode the OAuth error ("invalid_client"); neither repeats the secret.
    private string Describe(MsalServiceException e)
    {
        var words = string.IsNullOrWhiteSpace(e.Message) ? "(no description)" : e.Message.Trim();
        return string.Create(CultureInfo.InvariantCulture,
            $"{_settings.AuthorityHost.Host} refused a token for the app {_settings.ClientId} ({e.ErrorCode}): {words}")
            .Replace(_settings.ClientSecret.Length > 0 ? _settings.ClientSecret : "\0", "***", StringComparison.Ordinal);
    }

    private static bool IsKnownHost(Uri host) =>
        host.Host is "login.microsoftonline.com" or "login.microsoftonline.us" or "login.partner.microsoftonline.cn" or "login.microsoftonline.de";

    public void Dispose() => _http.Dispose();

    /// <summary>MSAL asks for its HttpClient on every request and expects the same long-lived one each time.</summary>
    private sealed class SingleClient(HttpClient client) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => client;
    }
}
