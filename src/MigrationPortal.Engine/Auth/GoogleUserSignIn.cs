using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Requests;
using Google.Apis.Auth.OAuth2.Responses;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// A Google Cloud OAuth client of the "Web application" type (client id, secret and the portal's redirect URI) with the
/// Gmail scope: each user signs in with their Google account and consents for their own mailbox, and no domain-wide
/// delegation is needed (a Gmail account outside Workspace can sign in too).
/// </summary>
public sealed record GoogleUserSettings(string ClientId, string ClientSecret)
{
    public static readonly Uri DefaultAuthorizationUrl = new("https://accounts.google.com/o/oauth2/v2/auth");
    public static readonly Uri DefaultTokenUrl = new("https://oauth2.googleapis.com/token");

    /// <summary>Gmail over IMAP, and openid email for the id_token that names who signed in.</summary>
    public static readonly IReadOnlyList<string> DefaultScopes = ["https://mail.google.com/", "openid", "email"];

    /// <summary>Where the user's browser signs in; its origin is also the issuer the id_token must name.</summary>
    public Uri AuthorizationUrl { get; init; } = DefaultAuthorizationUrl;

    public Uri TokenUrl { get; init; } = DefaultTokenUrl;

    public IReadOnlyList<string> Scopes { get; init; } = DefaultScopes;

    // A record prints every property: settings logged by mistake must not print the client secret.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("ClientId = ").Append(ClientId).Append(", AuthorizationUrl = ").Append(AuthorizationUrl)
            .Append(", TokenUrl = ").Append(TokenUrl).Append(", Scopes = ").Append(string.Join(' ', Scopes));
        return true;
    }
}

/// <summary>
/// "Sign in with Google" through Google.Apis.Auth's <see cref="PkceGoogleAuthorizationCodeFlow"/>: it makes the
/// authorization URL with a PKCE challenge (access_type=offline and prompt=consent, so Google hands out a refresh token
/// each time, not only at a user's first consent), redeems the code with the verifier and redeems the refresh token
/// later. The grant is the refresh token ("google1:&lt;refresh token&gt;"); the account is the verified email of the
/// id_token that came with the code. Access tokens are kept in memory per grant until 5 minutes before they expire (on
/// the TimeProvider), so connections opened close together share one; Google may rotate a refresh token, and then the
/// new grant is handed back to be stored.
/// </summary>
public sealed class GoogleUserSignIn : IDelegatedSignIn, IDisposable
{
    private const string GrantPrefix = "google1:";
    // The flow stores nothing (no data store): the user id only names the call in Google.Apis.Auth's own terms.
    private const string UserId = "user";
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);
    // Clocks of Google's and ours differ a little: an id_token is accepted up to this long after its exp.
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);
    public const int MaxCachedTokens = 4096;

    private readonly GoogleUserSettings _settings;
    private readonly TimeProvider _time;
    private readonly HttpMessageHandler _handler;
    private readonly PkceGoogleAuthorizationCodeFlow _flow;
    private readonly IReadOnlySet<string> _issuers;
    // Access tokens by the SHA-256 of their grant: the refresh token itself is not kept as a key.
    private readonly ConcurrentDictionary<string, AccessToken> _tokens = new(StringComparer.Ordinal);

    /// <param name="handler">Makes the handler the token requests go through (<see cref="TokenEndpointHttp.Handler"/> by default).</param>
    /// <param name="time">The clock tokens' expiry and the id_token's exp are reckoned by.</param>
    public GoogleUserSignIn(GoogleUserSettings settings, Func<HttpMessageHandler>? handler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.ClientId);
        ArgumentException.ThrowIfNullOrEmpty(settings.ClientSecret);
        if (settings.Scopes is null or { Count: 0 })
            throw new ArgumentException("At least one scope is needed.", nameof(settings));
        _settings = settings;
        _time = time ?? TimeProvider.System;
        _handler = (handler ?? (() => TokenEndpointHttp.Handler()))();
        // Google names itself in id_tokens with or without the scheme (https://accounts.google.com, accounts.google.com).
        var origin = settings.AuthorizationUrl.GetLeftPart(UriPartial.Authority);
        _issuers = new HashSet<string>(StringComparer.Ordinal) { origin, settings.AuthorizationUrl.Authority };
        _flow = new PkceGoogleAuthorizationCodeFlow(new Endpoints(settings.AuthorizationUrl, settings.TokenUrl)
        {
            ClientSecrets = new ClientSecrets { ClientId = settings.ClientId.Trim(), ClientSecret = settings.ClientSecret },
            Scopes = settings.Scopes,
            Clock = new GoogleAuthShared.TimeProviderClock(_time),
            HttpClientFactory = new GoogleAuthShared.SharedHandlerFactory(_handler),
            // Without consent asked again, Google returns a refresh token only at the user's first consent to the app.
            Prompt = "consent",
        });
    }

    public ValueTask<AuthorizationStart> StartAsync(Uri redirectUri, string state, string? loginHint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        ArgumentException.ThrowIfNullOrEmpty(state);
        // Google.Apis.Auth 1.78 supports PKCE (PkceGoogleAuthorizationCodeFlow): it makes the verifier and its S256 challenge.
        var request = (GoogleAuthorizationCodeRequestUrl)_flow.CreateAuthorizationCodeRequest(redirectUri.ToString(), out var verifier);
        request.State = state;
        request.AccessType = "offline";
        request.Prompt = "consent";
        if (!string.IsNullOrWhiteSpace(loginHint))
            request.LoginHint = loginHint.Trim();
        return ValueTask.FromResult(new AuthorizationStart(request.Build(), verifier));
    }

    public async ValueTask<DelegatedGrant> RedeemAsync(Uri redirectUri, string code, string codeVerifier, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentException.ThrowIfNullOrEmpty(codeVerifier);
        TokenResponse response;
        try
        {
            response = await _flow.ExchangeCodeForTokenAsync(UserId, code, codeVerifier, redirectUri.ToString(), ct);
        }
        catch (TokenResponseException e)
        {
            throw GoogleAuthShared.Refused(e, Host, SignInTo);
        }
        catch (Exception e) when (GoogleAuthShared.IsUnreachable(e, ct))
        {
            throw GoogleAuthShared.Unreachable(e, Host, SignInTo);
        }
        var account = AccountOf(response.IdToken);
        if (string.IsNullOrEmpty(response.RefreshToken))
            throw new AccessTokenException(string.Create(CultureInfo.InvariantCulture,
                $"{Host} answered the sign-in of {account} to the app {_settings.ClientId} without a refresh token: the portal could not open the mailbox later."));
        var grant = GrantPrefix + response.RefreshToken;
        var token = TokenOf(response);
        Remember(grant, token);
        return new DelegatedGrant(account, grant, token);
    }

    public async ValueTask<DelegatedToken> GetAsync(string grant, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(grant);
        if (!grant.StartsWith(GrantPrefix, StringComparison.Ordinal) || grant.Length == GrantPrefix.Length)
            throw new ArgumentException("Not a Google sign-in grant (google1:…).", nameof(grant));
        var key = Key(grant);
        if (_tokens.TryGetValue(key, out var cached) && cached.ExpiresOn - Margin > _time.GetUtcNow())
            return new DelegatedToken(cached, RenewedGrant: null);

        var refreshToken = grant[GrantPrefix.Length..];
        TokenResponse response;
        try
        {
            response = await _flow.RefreshTokenAsync(UserId, refreshToken, ct);
        }
        catch (TokenResponseException e)
        {
            _tokens.TryRemove(key, out _);
            throw GoogleAuthShared.Refused(e, Host, SignInTo);
        }
        catch (Exception e) when (GoogleAuthShared.IsUnreachable(e, ct))
        {
            throw GoogleAuthShared.Unreachable(e, Host, SignInTo);
        }
        var token = TokenOf(response);
        // Google.Apis.Auth puts the old refresh token in a response that had none: a different one is a rotation.
        string? renewed = response.RefreshToken is { Length: > 0 } newRefresh && newRefresh != refreshToken ? GrantPrefix + newRefresh : null;
        Remember(grant, token);
        if (renewed is not null)
            Remember(renewed, token);
        return new DelegatedToken(token, renewed);
    }

    private string Host => _settings.TokenUrl.Authority;

    private string SignInTo => string.Create(CultureInfo.InvariantCulture, $"a sign-in to the app {_settings.ClientId}");

    private AccessToken TokenOf(TokenResponse response)
    {
        // IssuedUtc is the flow's clock (the TimeProvider) when the response arrived.
        var issued = new DateTimeOffset(DateTime.SpecifyKind(response.IssuedUtc, DateTimeKind.Utc));
        return new AccessToken(response.AccessToken, response.ExpiresInSeconds is { } seconds ? issued.AddSeconds(seconds) : issued);
    }

    private void Remember(string grant, AccessToken token)
    {
        _tokens[Key(grant)] = token;
        if (_tokens.Count <= MaxCachedTokens) return;
        // Many users' grants in use: the expired tokens go; the rest are an hour's worth at most.
        var now = _time.GetUtcNow();
        foreach (var (key, value) in _tokens)
            if (value.ExpiresOn - Margin <= now)
                _tokens.TryRemove(key, out _);
    }

    private static string Key(string grant) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(grant)));

    /// <summary>
    /// Who signed in: the id_token's email. The id_token came straight from the token endpoint over TLS (the server's
    /// certificate checked by <see cref="TokenEndpointHttp"/>), so, as OpenID Connect Core 1.0 §3.1.3.7 allows, that TLS
    /// check stands in for the signature's (Google's keys need not be fetched); the rest is checked: the audience is
    /// this app, the issuer is the provider signed in at, it has not expired, and the email is verified when Google says.
    /// </summary>
    private string AccountOf(string? idToken)
    {
        var parts = idToken?.Split('.') ?? [];
        JsonElement claims;
        try
        {
            claims = parts.Length == 3 ? JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement : default;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            claims = default;
        }
        var problem = claims.ValueKind != JsonValueKind.Object ? "no id_token (is the openid scope asked for?)"
            : !HasAudience(claims, _settings.ClientId.Trim()) ? "an id_token for another app (aud)"
            : Text(claims, "iss") is not { } issuer || !_issuers.Contains(issuer) ? $"an id_token of another issuer ({Text(claims, "iss")})"
            : !claims.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var seconds)
                || DateTimeOffset.FromUnixTimeSeconds(seconds) + Skew < _time.GetUtcNow() ? "an expired id_token"
            : Text(claims, "email") is not { Length: > 0 } ? "an id_token without the email (is the email scope asked for?)"
            : claims.TryGetProperty("email_verified", out var verified) && !(verified.ValueKind == JsonValueKind.True || verified.ValueKind == JsonValueKind.String && verified.GetString() == "true")
                ? $"the unverified email {Text(claims, "email")}"
            : null;
        if (problem is not null)
            throw new AccessTokenException(string.Create(CultureInfo.InvariantCulture,
                $"{Host} answered the sign-in to the app {_settings.ClientId} with {problem}: who signed in is not known."));
        return Text(claims, "email")!;

        static bool HasAudience(JsonElement claims, string clientId) =>
            claims.TryGetProperty("aud", out var aud) && (aud.ValueKind == JsonValueKind.String
                ? aud.GetString() == clientId
                : aud.ValueKind == JsonValueKind.Array && aud.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == clientId));

        static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>
    /// The flow's settings with the given endpoints: Google.Apis.Auth takes other URLs than Google's only through this
    /// protected constructor (the public one fixes accounts.google.com and oauth2.googleapis.com).
    /// </summary>
    private sealed class Endpoints(Uri authorizationUrl, Uri tokenUrl)
        : GoogleAuthorizationCodeFlow.Initializer(authorizationUrl.ToString(), tokenUrl.ToString(), new Uri(tokenUrl, "/revoke").ToString());

    public void Dispose()
    {
        _tokens.Clear();
        _flow.Dispose();
        _handler.Dispose();
    }
}
