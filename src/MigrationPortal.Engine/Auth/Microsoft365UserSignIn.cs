using System.Globalization;
using Microsoft.Identity.Client;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// A Microsoft Entra app registration (a web app with a redirect URI and a client secret or certificate) with the
/// delegated Office 365 Exchange Online IMAP.AccessAsUser.All permission: each user signs in and consents for their own
/// mailbox, and no admin grant of mailboxes is needed.
/// </summary>
/// <param name="ClientSecret">The client secret's value; empty when the app proves itself with <see cref="Certificate"/>.</param>
public sealed record Microsoft365UserSettings(string TenantId, string ClientId, string ClientSecret)
{
    /// <summary>A certificate with its private key instead of a secret, as for <see cref="Microsoft365AppSettings.Certificate"/>.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }

    public static readonly Uri DefaultAuthorityHost = Microsoft365AppSettings.DefaultAuthorityHost;
    public const string DefaultScope = "https://outlook.office365.com/IMAP.AccessAsUser.All";

    /// <summary>The identity platform's host (another cloud's, or a test's); MSAL's known hosts are validated, others are not.</summary>
    public Uri AuthorityHost { get; init; } = DefaultAuthorityHost;

    /// <summary>The delegated permission asked for; MSAL adds openid, profile and offline_access (the refresh token) itself.</summary>
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
/// "Sign in with Microsoft" through MSAL: MSAL makes the authorization URL (with PKCE) and redeems the code, and the grant
/// it leaves is MSAL's own user token cache for that one account (access token, refresh token, id token), serialised,
/// with the home account id to find the account in it again. <see cref="GetAsync"/> loads that cache into a client of its
/// own and asks MSAL for a token silently: MSAL hands back the cached access token while it is fresh (no request at all)
/// and redeems the refresh token when it is not; whenever MSAL changed the cache (a refresh, a rotated refresh token, as
/// Entra ID sends on every refresh) the new cache is the grant to store. Keeping MSAL's cache rather than a bare refresh
/// token leaves MSAL's rules (its 5-minute margin, its account and tenant matching) to MSAL. MSAL takes no clock, so that
/// margin runs on the system's time, as for <see cref="Microsoft365AppTokens"/>.
/// </summary>
public sealed class Microsoft365UserSignIn : IDelegatedSignIn, IDisposable
{
    // The grant's format: "msal1:<home account id>:<base64 of MSAL's v3 cache>"; the version is for a later format.
    private const string GrantPrefix = "msal1:";

    private readonly Microsoft365UserSettings _settings;
    private readonly HttpClient _http;

    /// <param name="handler">Makes the handler MSAL's requests go through (<see cref="TokenEndpointHttp.Handler"/> by default).</param>
    public Microsoft365UserSignIn(Microsoft365UserSettings settings, Func<HttpMessageHandler>? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        MsalClients.Validate(settings.TenantId, settings.ClientId, settings.ClientSecret, settings.Certificate, settings.AuthorityHost, nameof(settings));
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.Scope);
        _settings = settings;
        _http = new HttpClient((handler ?? (() => TokenEndpointHttp.Handler()))(), disposeHandler: true) { Timeout = TokenEndpointHttp.Timeout };
    }

    private string[] Scopes => [_settings.Scope];

    public async ValueTask<AuthorizationStart> StartAsync(Uri redirectUri, string state, string? loginHint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        ArgumentException.ThrowIfNullOrEmpty(state);
        var app = Client(redirectUri, cache: null);
        try
        {
            // MSAL's authorization URL carries no state of its own: the caller's goes in as an extra parameter and the
            // provider returns it unchanged.
            var request = app.GetAuthorizationRequestUrl(Scopes)
                .WithRedirectUri(redirectUri.ToString())
                .WithPkce(out var verifier)
                .WithExtraQueryParameters(new Dictionary<string, (string, bool)> { ["state"] = (state, false) });
            if (!string.IsNullOrWhiteSpace(loginHint))
                request = request.WithLoginHint(loginHint.Trim());
            return new AuthorizationStart(await request.ExecuteAsync(ct), verifier);
        }
        catch (Exception e) when (MsalClients.IsTokenFailure(e, ct))
        {
            throw MsalClients.Describe(e, _settings.AuthorityHost, SignInTo, _settings.ClientSecret);
        }
    }

    public async ValueTask<DelegatedGrant> RedeemAsync(Uri redirectUri, string code, string codeVerifier, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentException.ThrowIfNullOrEmpty(codeVerifier);
        var cache = new CacheBlob(null);
        // MSAL sends the redirect URI of the application with the code: a client per redirect URI, as per grant.
        var app = Client(redirectUri, cache);
        try
        {
            var result = await app.AcquireTokenByAuthorizationCode(Scopes, code).WithPkceCodeVerifier(codeVerifier).ExecuteAsync(ct);
            if (result.Account?.HomeAccountId?.Identifier is not { Length: > 0 } homeAccountId || cache.Data is null)
                // MSAL builds the account from the id_token and client_info; without them there is nothing to refresh from.
                throw new AccessTokenException(string.Create(CultureInfo.InvariantCulture,
                    $"{_settings.AuthorityHost.Host} answered the sign-in to the app {_settings.ClientId} without an account (no id_token or client_info): MSAL cannot keep the grant."));
            return new DelegatedGrant(result.Account.Username, Pack(homeAccountId, cache.Data), new AccessToken(result.AccessToken, result.ExpiresOn));
        }
        catch (Exception e) when (MsalClients.IsTokenFailure(e, ct))
        {
            throw MsalClients.Describe(e, _settings.AuthorityHost, SignInTo, _settings.ClientSecret);
        }
    }

    public async ValueTask<DelegatedToken> GetAsync(string grant, CancellationToken ct)
    {
        var (homeAccountId, data) = Unpack(grant);
        var cache = new CacheBlob(data);
        var app = Client(redirectUri: null, cache);
        IAccount? account = null;
        try
        {
            account = await app.GetAccountAsync(homeAccountId)
                ?? throw new AccessTokenException(string.Create(CultureInfo.InvariantCulture,
                    $"The stored sign-in to the app {_settings.ClientId} at {_settings.AuthorityHost.Host} holds no account: the user must sign in again."));
            var result = await app.AcquireTokenSilent(Scopes, account).ExecuteAsync(ct);
            return new DelegatedToken(new AccessToken(result.AccessToken, result.ExpiresOn), cache.Changed ? Pack(homeAccountId, cache.Data!) : null);
        }
        catch (Exception e) when (MsalClients.IsTokenFailure(e, ct))
        {
            var whose = account?.Username is { Length: > 0 } user
                ? string.Create(CultureInfo.InvariantCulture, $"{user} through the app {_settings.ClientId}")
                : SignInTo;
            throw MsalClients.Describe(e, _settings.AuthorityHost, whose, _settings.ClientSecret);
        }
    }

    private string SignInTo => string.Create(CultureInfo.InvariantCulture, $"a sign-in to the app {_settings.ClientId}");

    /// <summary>
    /// A confidential client of its own per call, over the one HttpClient: its user token cache is the one grant it was
    /// given, so no user's tokens ever sit in a client another user's call reads.
    /// </summary>
    private IConfidentialClientApplication Client(Uri? redirectUri, CacheBlob? cache)
    {
        var builder = MsalClients.Builder(_settings.TenantId, _settings.ClientId, _settings.ClientSecret, _settings.Certificate, _settings.AuthorityHost, _http);
        if (redirectUri is not null)
            builder = builder.WithRedirectUri(redirectUri.ToString());
        var app = builder.Build();
        if (cache is not null)
        {
            app.UserTokenCache.SetBeforeAccess(args => args.TokenCache.DeserializeMsalV3(cache.Data, shouldClearExistingCache: true));
            app.UserTokenCache.SetAfterAccess(args =>
            {
                if (args.HasStateChanged)
                    cache.Save(args.TokenCache.SerializeMsalV3());
            });
        }
        return app;
    }

    private static string Pack(string homeAccountId, byte[] cache) => GrantPrefix + homeAccountId + ":" + Convert.ToBase64String(cache);

    /// <exception cref="ArgumentException">Not a grant this class made (its content is not repeated: it is a secret).</exception>
    private static (string HomeAccountId, byte[] Cache) Unpack(string grant)
    {
        ArgumentException.ThrowIfNullOrEmpty(grant);
        var separator = grant.IndexOf(':', GrantPrefix.Length);
        if (!grant.StartsWith(GrantPrefix, StringComparison.Ordinal) || separator <= GrantPrefix.Length)
            throw new ArgumentException("Not a Microsoft 365 sign-in grant (msal1:…).", nameof(grant));
        try
        {
            return (grant[GrantPrefix.Length..separator], Convert.FromBase64String(grant[(separator + 1)..]));
        }
        catch (FormatException)
        {
            throw new ArgumentException("The Microsoft 365 sign-in grant's token cache is not base64.", nameof(grant));
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>One grant's MSAL cache: what MSAL reads before each access, and what it wrote when it changed anything.</summary>
    private sealed class CacheBlob(byte[]? data)
    {
        public byte[]? Data { get; private set; } = data;
        public bool Changed { get; private set; }

        public void Save(byte[] data)
        {
            Data = data;
            Changed = true;
        }
    }
}
