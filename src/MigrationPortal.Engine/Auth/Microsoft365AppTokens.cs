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
        MsalClients.Validate(settings.TenantId, settings.ClientId, settings.ClientSecret, settings.Certificate, settings.AuthorityHost, nameof(settings));
        _settings = settings;
        _http = new HttpClient((handler ?? (() => TokenEndpointHttp.Handler()))(), disposeHandler: true) { Timeout = TokenEndpointHttp.Timeout };
        _app = MsalClients.Builder(settings.TenantId, settings.ClientId, settings.ClientSecret, settings.Certificate, settings.AuthorityHost, _http).Build();
    }

    public async ValueTask<AccessToken> GetAsync(string mailbox, CancellationToken ct)
    {
        try
        {
            var result = await _app.AcquireTokenForClient([_settings.Scope]).ExecuteAsync(ct);
            return new AccessToken(result.AccessToken, result.ExpiresOn);
        }
        catch (Exception e) when (MsalClients.IsTokenFailure(e, ct))
        {
            throw MsalClients.Describe(e, _settings.AuthorityHost, $"the app {_settings.ClientId}", _settings.ClientSecret);
        }
    }

    public void Dispose() => _http.Dispose();
}
