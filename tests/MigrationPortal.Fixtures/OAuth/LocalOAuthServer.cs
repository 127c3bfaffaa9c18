using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace MigrationPortal.Fixtures.OAuth;

/// <summary>An access token the server handed out, for tests that look for it where it must not be (messages, logs, pages).</summary>
/// <param name="Grant">Whose permission it rests on: "app:&lt;client id&gt;", "sa:&lt;service account&gt;:&lt;mailbox&gt;", "user:&lt;client id&gt;:&lt;subject&gt;".</param>
public sealed record IssuedToken(string Value, string Subject, string GrantType, string Scope, string Grant, DateTimeOffset ExpiresOn);

/// <summary>A registered service account: its address and the JSON key file Google would have given for it.</summary>
public sealed record ServiceAccountKey(string ClientEmail, string KeyJson);

/// <summary>
/// A local OAuth 2.0 authorization server in the test process (Kestrel on loopback), speaking as Microsoft's identity
/// platform and Google's token endpoint do, so MSAL and Google.Apis.Auth are used for real without the internet:
/// <list type="bullet">
/// <item>Microsoft: <c>/{tenant}/oauth2/v2.0/token</c> (client credentials; authorization code with PKCE; refresh
/// token) and <c>/{tenant}/oauth2/v2.0/authorize</c>, errors in Entra ID's JSON (error, error_description "AADSTS…",
/// error_codes).</item>
/// <item>Google: <c>/token</c> (the JWT bearer grant of a service account, its RS256 assertion verified: signature,
/// iss, aud, iat/exp, scope, and a grant for its subject; authorization code with PKCE; refresh token) and
/// <c>/authorize</c>, errors in Google's shape.</item>
/// <item><c>/introspect</c> (RFC 7662) for Dovecot's oauth2 passdb, also on a plain-HTTP port (<see cref="IntrospectionUrl"/>)
/// so Dovecot need not trust the run's certificate.</item>
/// </list>
/// HTTPS with a certificate made for the run (<see cref="CertificateSha256"/>): MSAL takes only HTTPS authorities.
/// Expiry is decided on the wall clock, as Dovecot asks at login time.
/// </summary>
public sealed class LocalOAuthServer : IAsyncLifetime
{
    public const string MicrosoftScope = "https://outlook.office365.com/.default";
    public const string GoogleScope = "https://mail.google.com/";
    public const string ClientCredentialsGrant = "client_credentials";
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const string AuthorizationCodeGrant = "authorization_code";
    public const string RefreshTokenGrant = "refresh_token";

    private static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);
    // Google refuses an assertion whose exp is more than an hour after its iat, or that is not current (with some skew).
    private static readonly TimeSpan AssertionMaxLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The audience Google itself requires of an assertion, whatever URL it is posted to: Google.Apis.Auth always names it,
    /// so an assertion made for Google is accepted here, as one naming this server's token URL is.
    /// </summary>
    public const string GoogleAudience = "https://oauth2.googleapis.com/token";

    private IReadOnlySet<string> GoogleAudiences => new HashSet<string>(StringComparer.Ordinal) { GoogleTokenUrl.ToString(), GoogleAudience };

    private readonly TimeProvider _time = TimeProvider.System;
    private readonly ConcurrentDictionary<string, MicrosoftApp> _apps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServiceAccount> _serviceAccounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _grants = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, SignInClient> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshGrant> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<IssuedToken> _issued = new();
    private readonly ConcurrentDictionary<string, int> _issuedPerGrant = new(StringComparer.Ordinal);
    // Signs the id_tokens: clients here take them from the token endpoint over TLS and need not check the signature.
    private readonly RSA _idTokenKey = RSA.Create(2048);
    private const string IdTokenKeyId = "local-oauth-server";
    private WebApplication? _app;
    private long _tokenLifetimeTicks = TimeSpan.FromHours(1).Ticks;
    private int _introspections;

    public int HttpsPort { get; private set; }
    public int HttpPort { get; private set; }

    /// <summary>The SHA-256 fingerprint of the run's certificate, 64 uppercase hex characters: what a token source pins.</summary>
    public string CertificateSha256 { get; private set; } = "";

    /// <summary>https://127.0.0.1:port/: the authority host for MSAL, and the base of the Google-style endpoints.</summary>
    public Uri BaseUrl => new(string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{HttpsPort}/"));

    /// <summary>Google's token_uri here, and the audience a service account's assertion must name.</summary>
    public Uri GoogleTokenUrl => new(BaseUrl, "token");

    /// <summary>Plain HTTP, for Dovecot's oauth2 passdb.</summary>
    public Uri IntrospectionUrl => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{HttpPort}/introspect"));

    /// <summary>How long tokens issued from now on live (an hour by default); short, to expire them within a test.</summary>
    public TimeSpan TokenLifetime
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _tokenLifetimeTicks));
        set => Interlocked.Exchange(ref _tokenLifetimeTicks, value.Ticks);
    }

    /// <summary>Who signs in at the next <c>authorize</c> request (the browser's user, for a test); null: the user cancels.</summary>
    public string? NextSignIn { get; set; }

    /// <summary>Every access token issued, in order.</summary>
    public IReadOnlyList<IssuedToken> IssuedTokens => [.. _issued];

    public int Introspections => Volatile.Read(ref _introspections);

    /// <summary>
    /// Refresh tokens rotate as Entra ID's do: each refresh answers with a new one, and the one redeemed stays good. Off:
    /// the refresh token redeemed comes back (Google's usual way).
    /// </summary>
    public bool RotateRefreshTokens { get; set; }

    /// <summary>What Google's id_tokens say of the email (true by default); false: an address Google has not verified.</summary>
    public bool GoogleEmailVerified { get; set; } = true;

    /// <summary>The query of every <c>authorize</c> request, to see what reached the provider's sign-in page (login_hint, state).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> AuthorizeRequests { get; } = new();

    /// <summary>Every request as "METHOD path", to see what a client library asked for.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Access tokens issued for a grant type (e.g. <see cref="JwtBearerGrant"/>).</summary>
    public int Issued(string grantType) => _issuedPerGrant.GetValueOrDefault(grantType);

    /// <summary>An app registration of <paramref name="tenant"/> whose client-credentials tokens open every mailbox of <paramref name="domain"/>.</summary>
    public void RegisterMicrosoftApp(string tenant, string clientId, string secret, string domain) =>
        _apps[clientId] = new MicrosoftApp(tenant, clientId, secret, domain.ToLowerInvariant());

    /// <summary>An app that proves itself with a certificate (a signed client assertion) instead of a secret, as Entra ID allows.</summary>
    /// <param name="certificate">The certificate uploaded to the app registration: its public key checks the assertions.</param>
    public void RegisterMicrosoftAppCertificate(string tenant, string clientId, X509Certificate2 certificate, string domain) =>
        _apps[clientId] = new MicrosoftApp(tenant, clientId, null, domain.ToLowerInvariant(), certificate.GetRSAPublicKey()
            ?? throw new ArgumentException("An RSA certificate is needed.", nameof(certificate)));

    /// <summary>Makes a service account with a new RSA key and returns its JSON key, as Google's console would.</summary>
    public ServiceAccountKey RegisterServiceAccount(string name)
    {
        var email = $"{name}@migration-tests.iam.gserviceaccount.com";
        var key = RSA.Create(2048);
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _serviceAccounts[email] = new ServiceAccount(email, keyId, key);
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "migration-tests",
            ["private_key_id"] = keyId,
            ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture),
            ["auth_uri"] = new Uri(BaseUrl, "authorize").ToString(),
            ["token_uri"] = GoogleTokenUrl.ToString(),
        }, new JsonSerializerOptions { WriteIndented = true });
        return new ServiceAccountKey(email, json);
    }

    /// <summary>Domain-wide delegation of the service account for this one mailbox (its JWT subject).</summary>
    public void Grant(string serviceAccount, string mailbox)
    {
        var grant = ServiceAccountGrant(serviceAccount, mailbox);
        _revoked.TryRemove(grant, out _);
        _grants[grant] = 0;
    }

    /// <summary>Takes the service account's grant for the mailbox away: its tokens stop working and no new ones are issued.</summary>
    public void Revoke(string serviceAccount, string mailbox)
    {
        var grant = ServiceAccountGrant(serviceAccount, mailbox);
        _grants.TryRemove(grant, out _);
        _revoked[grant] = 0;
    }

    /// <summary>Revokes an app's consent: its tokens stop working and it gets no new ones.</summary>
    public void RevokeMicrosoftApp(string clientId) => _revoked[AppGrant(clientId)] = 0;

    /// <summary>A client of the authorization-code flow ("Sign in with …"); public (PKCE only) when <paramref name="secret"/> is null.</summary>
    public void RegisterClient(string clientId, string? secret, Uri redirectUri) => _clients[clientId] = new SignInClient(clientId, secret, redirectUri.ToString());

    /// <summary>Revokes what <paramref name="subject"/> consented to for the client: its access and refresh tokens stop working.</summary>
    public void RevokeSignIn(string clientId, string subject) => _revoked[UserGrant(clientId, subject)] = 0;

    public async Task InitializeAsync()
    {
        using var certificate = MakeCertificate();
        CertificateSha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256).ToUpperInvariant();
        var kestrelCertificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(kestrelCertificate));
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            // Secrets and assertions travel only over TLS, as at the real providers; the plain port is Dovecot's introspection.
            if (!context.Request.IsHttps && context.Request.Path != "/introspect")
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await next(context);
        });
        app.MapPost("/{tenant}/oauth2/v2.0/token", (HttpContext context, string tenant) => TokenAsync(context, tenant));
        app.MapGet("/{tenant}/oauth2/v2.0/authorize", (HttpContext context, string tenant) => Authorize(context, tenant));
        // Cast to Delegate: a lambda taking only the HttpContext would be read as a RequestDelegate, its result dropped.
        app.MapPost("/token", (Delegate)((HttpContext context) => TokenAsync(context, tenant: null)));
        app.MapGet("/authorize", (HttpContext context) => Authorize(context, tenant: null));
        app.MapPost("/introspect", (Delegate)IntrospectAsync);
        await app.StartAsync();
        _app = app;
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses)
        {
            var url = new Uri(address);
            if (url.Scheme == Uri.UriSchemeHttps) HttpsPort = url.Port;
            else HttpPort = url.Port;
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        foreach (var account in _serviceAccounts.Values)
            account.Key.Dispose();
        _idTokenKey.Dispose();
    }

    // ----------------------------------------------------------------- token endpoint

    /// <param name="tenant">Microsoft's endpoint (errors in Entra ID's shape); null: Google's.</param>
    private async Task<IResult> TokenAsync(HttpContext context, string? tenant)
    {
        var microsoft = tenant is not null;
        if (!context.Request.HasFormContentType)
            return Error(microsoft, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
        var form = await context.Request.ReadFormAsync();
        var grantType = form["grant_type"].ToString();
        return grantType switch
        {
            ClientCredentialsGrant when microsoft => ClientCredentials(tenant!, form),
            JwtBearerGrant when !microsoft => JwtBearer(form),
            AuthorizationCodeGrant => AuthorizationCode(tenant, form),
            RefreshTokenGrant => Refresh(tenant, form),
            _ => Error(microsoft, 400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{grantType}'."),
        };
    }

    private IResult ClientCredentials(string tenant, IFormCollection form)
    {
        var clientId = form["client_id"].ToString();
        if (!_apps.TryGetValue(clientId, out var app) || !app.Tenant.Equals(tenant, StringComparison.OrdinalIgnoreCase))
            return Error(true, 400, "unauthorized_client", 700016,
                $"AADSTS700016: Application with identifier '{clientId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");
        if (form.ContainsKey("client_assertion"))
        {
            if (ClientAssertionError(tenant, app, form) is { } assertionError)
                return assertionError;
        }
        else if (app.Secret is null || !FixedTimeEquals(form["client_secret"].ToString(), app.Secret))
            return Error(true, 401, "invalid_client", 7000215,
                $"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{clientId}'.");
        var scopes = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!scopes.Contains(MicrosoftScope, StringComparer.OrdinalIgnoreCase))
            return Error(true, 400, "invalid_scope", 1002012,
                $"AADSTS1002012: The provided value for scope {form["scope"]} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
        if (_revoked.ContainsKey(AppGrant(clientId)))
            return Error(true, 400, "invalid_client", 7000112, $"AADSTS7000112: Application '{clientId}' is disabled.");
        // An app-only token names the app, not a user: its identity at the tenant's domain, so a server that compares
        // domains (Dovecot's username_format = %Ld) lets it open every mailbox there.
        return Issue(ClientCredentialsGrant, $"{clientId}@{app.Domain}", MicrosoftScope, AppGrant(clientId), refreshToken: null);
    }

    /// <summary>
    /// RFC 7523 client authentication as Entra ID checks it: a JWT signed with the app's certificate (RS256 or PS256),
    /// issuer and subject the client id, audience the token endpoint, not expired.
    /// </summary>
    private IResult? ClientAssertionError(string tenant, MicrosoftApp app, IFormCollection form)
    {
        if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            return Error(true, 400, "invalid_client", 700025, "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
        if (app.CertificateKey is null)
            return Error(true, 401, "invalid_client", 700027, $"AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app.ClientId}'.]");
        var parts = form["client_assertion"].ToString().Split('.');
        JsonElement header, claims;
        byte[] signature;
        try
        {
            header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
            claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException or IndexOutOfRangeException)
        {
            return Error(true, 401, "invalid_client", 50027, "AADSTS50027: JWT token is invalid or malformed.");
        }
        var padding = Text(header, "alg") switch
        {
            "RS256" => RSASignaturePadding.Pkcs1,
            "PS256" => RSASignaturePadding.Pss,
            _ => null,
        };
        if (padding is null || !app.CertificateKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, padding))
            return Error(true, 401, "invalid_client", 700027,
                $"AADSTS700027: Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{Text(header, "x5t")}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app.ClientId}'.]");
        var endpoint = new Uri(BaseUrl, $"{tenant}/oauth2/v2.0/token").ToString();
        if (Text(claims, "iss") != app.ClientId || Text(claims, "sub") != app.ClientId)
            return Error(true, 401, "invalid_client", 700021, "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter.");
        if (!string.Equals(Text(claims, "aud"), endpoint, StringComparison.OrdinalIgnoreCase))
            return Error(true, 401, "invalid_client", 700212, $"AADSTS700212: No matching federated identity record found for presented assertion audience '{Text(claims, "aud")}'.");
        if (Seconds(claims, "exp") is not { } exp || exp < _time.GetUtcNow() - Skew)
            return Error(true, 401, "invalid_client", 700024, "AADSTS700024: Client assertion is not within its valid time range.");
        return null;
    }

    private IResult JwtBearer(IFormCollection form)
    {
        var assertion = form["assertion"].ToString();
        var parts = assertion.Split('.');
        if (parts.Length != 3)
            return Error(false, 400, "invalid_grant", 0, "Invalid JWT: not a JWS compact serialisation.");
        JsonElement header, claims;
        try
        {
            header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
            claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return Error(false, 400, "invalid_grant", 0, "Invalid JWT: the header or claims are not base64url JSON.");
        }
        if (Text(header, "alg") != "RS256")
            return Error(false, 400, "invalid_grant", 0, "Invalid JWT: the algorithm must be RS256.");
        if (Text(claims, "iss") is not { } issuer || !_serviceAccounts.TryGetValue(issuer, out var account))
            return Error(false, 400, "invalid_grant", 0, "Invalid grant: account not found");
        if (Text(header, "kid") is { } kid && kid != account.KeyId)
            return Error(false, 400, "invalid_grant", 0, "Invalid JWT Signature.");
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            return Error(false, 400, "invalid_grant", 0, "Invalid JWT Signature.");
        }
        if (!account.Key.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            return Error(false, 400, "invalid_grant", 0, "Invalid JWT Signature.");
        if (Text(claims, "aud") is not { } audience || !GoogleAudiences.Contains(audience))
            return Error(false, 400, "invalid_grant", 0, $"Invalid JWT: the audience must be {GoogleTokenUrl} or {GoogleAudience} (it was {Text(claims, "aud")}).");
        var now = _time.GetUtcNow();
        if (Seconds(claims, "iat") is not { } iat || Seconds(claims, "exp") is not { } exp
            || iat > now + Skew || exp < now - Skew || exp - iat > AssertionMaxLifetime || exp <= iat)
            return Error(false, 400, "invalid_grant",
                0, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
        var scopes = (Text(claims, "scope") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scopes.Length == 0)
            return Error(false, 400, "invalid_scope", 0, "Invalid OAuth scope or ID token audience provided.");
        if (Text(claims, "sub") is not { } subject)
            return Error(false, 400, "invalid_grant", 0, "Invalid grant: a service account acting for a mailbox needs its sub claim.");
        var grant = ServiceAccountGrant(account.Email, subject);
        if (!scopes.Contains(GoogleScope, StringComparer.Ordinal) || !_grants.ContainsKey(grant) || _revoked.ContainsKey(grant))
            return Error(false, 401, "unauthorized_client", 0,
                "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.");
        return Issue(JwtBearerGrant, subject.ToLowerInvariant(), string.Join(' ', scopes), grant, refreshToken: null);
    }

    private IResult AuthorizationCode(string? tenant, IFormCollection form)
    {
        var microsoft = tenant is not null;
        var code = form["code"].ToString();
        if (!_codes.TryRemove(code, out var pending) || pending.Expires < _time.GetUtcNow())
            return Error(microsoft, 400, "invalid_grant", 70008,
                microsoft ? "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity." : "Bad Request");
        if (ClientError(microsoft, form, pending.ClientId) is { } clientError)
            return clientError;
        if (form["redirect_uri"].ToString() != pending.RedirectUri)
            return Error(microsoft, 400, "invalid_grant", 50148, microsoft ? "AADSTS50148: The redirect_uri does not match the one used in the authorization request." : "redirect_uri_mismatch");
        var verifier = form["code_verifier"].ToString();
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        if (verifier.Length is < 43 or > 128 || !FixedTimeEquals(challenge, pending.CodeChallenge))
            return Error(microsoft, 400, "invalid_grant", 501481, microsoft ? "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request." : "Invalid code verifier.");
        var grant = UserGrant(pending.ClientId, pending.Subject);
        _revoked.TryRemove(grant, out _);
        var refresh = NewSecret();
        _refreshTokens[refresh] = new RefreshGrant(pending.ClientId, pending.Subject, pending.Scope);
        return Issue(AuthorizationCodeGrant, pending.Subject, pending.Scope, grant, refresh, new SignIn(tenant, pending.ClientId, pending.Nonce, form["client_info"] == "1"));
    }

    private IResult Refresh(string? tenant, IFormCollection form)
    {
        var microsoft = tenant is not null;
        if (!_refreshTokens.TryGetValue(form["refresh_token"].ToString(), out var refresh)
            || _revoked.ContainsKey(UserGrant(refresh.ClientId, refresh.Subject)))
            return Error(microsoft, 400, "invalid_grant", 700082,
                microsoft ? "AADSTS700082: The refresh token has expired or been revoked." : "Token has been expired or revoked.");
        if (ClientError(microsoft, form, refresh.ClientId) is { } clientError)
            return clientError;
        var refreshToken = form["refresh_token"].ToString();
        if (RotateRefreshTokens)
        {
            // Entra ID's way: a new refresh token with every refresh, the one redeemed still good until it expires.
            refreshToken = NewSecret();
            _refreshTokens[refreshToken] = refresh;
        }
        return Issue(RefreshTokenGrant, refresh.Subject, refresh.Scope, UserGrant(refresh.ClientId, refresh.Subject), refreshToken,
            new SignIn(tenant, refresh.ClientId, Nonce: null, form["client_info"] == "1"));
    }

    private IResult? ClientError(bool microsoft, IFormCollection form, string expectedClient)
    {
        var clientId = form["client_id"].ToString();
        if (clientId != expectedClient || !_clients.TryGetValue(clientId, out var client))
            return Error(microsoft, 400, "invalid_grant", 70000, microsoft ? "AADSTS70000: The provided grant is not valid for this client." : "Unauthorized");
        if (client.Secret is not null && !FixedTimeEquals(form["client_secret"].ToString(), client.Secret))
            return Error(microsoft, 401, "invalid_client", 7000215, microsoft ? "AADSTS7000215: Invalid client secret provided." : "Unauthorized");
        return null;
    }

    /// <param name="signIn">A user's sign-in (code or refresh grant): an id_token when openid was asked for, client_info when MSAL asks.</param>
    private IResult Issue(string grantType, string subject, string scope, string grant, string? refreshToken, SignIn? signIn = null)
    {
        var lifetime = TokenLifetime;
        var token = new IssuedToken(NewSecret(), subject, grantType, scope, grant, _time.GetUtcNow() + lifetime);
        _tokens[token.Value] = token;
        _issued.Enqueue(token);
        _issuedPerGrant.AddOrUpdate(grantType, 1, (_, n) => n + 1);
        var body = new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["access_token"] = token.Value,
            ["expires_in"] = (long)Math.Ceiling(lifetime.TotalSeconds),
            ["ext_expires_in"] = (long)Math.Ceiling(lifetime.TotalSeconds),
            ["scope"] = scope,
        };
        if (refreshToken is not null)
            body["refresh_token"] = refreshToken;
        if (signIn is not null && scope.Split(' ').Contains("openid", StringComparer.Ordinal))
            body["id_token"] = IdToken(signIn, subject);
        if (signIn is { Tenant: { } tenant, ClientInfo: true })
            // MSAL makes its account (home account id uid.utid) from client_info, which it asks for with client_info=1.
            body["client_info"] = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(
                new Dictionary<string, string> { ["uid"] = ObjectId(subject), ["utid"] = tenant }));
        return Results.Json(body);
    }

    /// <summary>
    /// An OpenID Connect id_token, RS256-signed with the server's key: Microsoft's claims (preferred_username, oid, tid,
    /// name; the issuer &lt;host&gt;/&lt;tenant&gt;/v2.0) or Google's (email, email_verified; the issuer the host's origin).
    /// </summary>
    private string IdToken(SignIn signIn, string subject)
    {
        var now = _time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = signIn.Tenant is { } t ? new Uri(BaseUrl, $"{t}/v2.0").ToString() : BaseUrl.GetLeftPart(UriPartial.Authority),
            ["sub"] = ObjectId(subject + "/sub"),
            ["aud"] = signIn.ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
        };
        if (signIn.Nonce is { Length: > 0 } nonce)
            claims["nonce"] = nonce;
        if (signIn.Tenant is { } tenant)
        {
            claims["ver"] = "2.0";
            claims["preferred_username"] = subject;
            claims["oid"] = ObjectId(subject);
            claims["tid"] = tenant;
            claims["name"] = subject.Split('@')[0];
        }
        else
        {
            claims["email"] = subject;
            claims["email_verified"] = GoogleEmailVerified;
        }
        var header = new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = IdTokenKeyId };
        var signed = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return signed + "." + Base64Url.EncodeToString(_idTokenKey.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    // ----------------------------------------------------------------- authorize

    private IResult Authorize(HttpContext context, string? tenant)
    {
        var query = context.Request.Query;
        AuthorizeRequests.Enqueue(query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal));
        var clientId = query["client_id"].ToString();
        var redirect = query["redirect_uri"].ToString();
        // Never redirect to an address the client did not register: the error is shown here instead.
        if (!_clients.TryGetValue(clientId, out var client) || client.RedirectUri != redirect)
            return Results.BadRequest($"Unknown client '{clientId}' or a redirect_uri it did not register.");
        var state = query["state"].ToString();
        if (query["response_type"] != "code")
            return Redirect(redirect, ("error", "unsupported_response_type"), ("state", state));
        if (query["code_challenge_method"] != "S256" || query["code_challenge"].ToString().Length != 43)
            return Redirect(redirect, ("error", "invalid_request"), ("error_description", "PKCE with S256 is required."), ("state", state));
        if (NextSignIn is not { } subject)
            return Redirect(redirect, ("error", "access_denied"), ("error_description", "The user cancelled the sign-in."), ("state", state));
        var code = NewSecret();
        var scope = query["scope"].ToString();
        _codes[code] = new PendingCode(clientId, redirect, query["code_challenge"].ToString(), subject.ToLowerInvariant(),
            scope.Length > 0 ? scope : tenant is null ? GoogleScope : MicrosoftScope, _time.GetUtcNow() + CodeLifetime, query["nonce"].ToString());
        return Redirect(redirect, ("code", code), ("state", state));
    }

    private static IResult Redirect(string redirectUri, params (string Name, string Value)[] parameters)
    {
        var query = string.Join('&', parameters.Where(p => p.Value.Length > 0).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
        return Results.Redirect(redirectUri + (redirectUri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query);
    }

    // ----------------------------------------------------------------- introspection

    private async Task<IResult> IntrospectAsync(HttpContext context)
    {
        Interlocked.Increment(ref _introspections);
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
        var value = form?["token"].ToString() ?? "";
        if (!_tokens.TryGetValue(value, out var token) || token.ExpiresOn <= _time.GetUtcNow() || _revoked.ContainsKey(token.Grant))
            return Results.Json(new Dictionary<string, object> { ["active"] = false });
        return Results.Json(new Dictionary<string, object>
        {
            ["active"] = true,
            ["email"] = token.Subject,
            ["sub"] = token.Subject,
            ["scope"] = token.Scope,
            ["token_type"] = "Bearer",
            ["exp"] = token.ExpiresOn.ToUnixTimeSeconds(),
        });
    }

    // ----------------------------------------------------------------- helpers

    /// <param name="aadCode">Entra ID's numeric code (error_codes); unused in Google's shape.</param>
    private IResult Error(bool microsoft, int status, string error, int aadCode, string description)
    {
        var body = new Dictionary<string, object> { ["error"] = error, ["error_description"] = description };
        if (microsoft)
        {
            var trace = Guid.NewGuid();
            body["error_description"] = string.Create(CultureInfo.InvariantCulture,
                $"{description} Trace ID: {trace} Correlation ID: {Guid.NewGuid()} Timestamp: {_time.GetUtcNow():yyyy-MM-dd HH:mm:ssZ}");
            body["error_codes"] = new[] { aadCode };
            body["timestamp"] = _time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ssZ", CultureInfo.InvariantCulture);
            body["trace_id"] = trace;
        }
        return Results.Json(body, statusCode: status);
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // MSAL writes a client assertion's exp and nbf as strings of digits; Google.Apis.Auth as numbers. Entra ID takes both.
    private static DateTimeOffset? Seconds(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds)
        : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var text) ? DateTimeOffset.FromUnixTimeSeconds(text)
        : null;

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    // A stable GUID per user, as Entra ID's object id is.
    private static string ObjectId(string subject) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(subject.ToLowerInvariant()))[..16]).ToString();

    private static string AppGrant(string clientId) => $"app:{clientId}";
    private static string ServiceAccountGrant(string serviceAccount, string mailbox) => $"sa:{serviceAccount}:{mailbox}".ToLowerInvariant();
    private static string UserGrant(string clientId, string subject) => $"user:{clientId}:{subject.ToLowerInvariant()}";

    private static X509Certificate2 MakeCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=MigrationPortal test OAuth server", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));
    }

    private sealed record MicrosoftApp(string Tenant, string ClientId, string? Secret, string Domain, RSA? CertificateKey = null);
    private sealed record ServiceAccount(string Email, string KeyId, RSA Key);
    private sealed record SignInClient(string ClientId, string? Secret, string RedirectUri);
    private sealed record PendingCode(string ClientId, string RedirectUri, string CodeChallenge, string Subject, string Scope, DateTimeOffset Expires, string Nonce);
    /// <param name="Tenant">Microsoft's shape (its claims, client_info); null: Google's.</param>
    private sealed record SignIn(string? Tenant, string ClientId, string? Nonce, bool ClientInfo);
    private sealed record RefreshGrant(string ClientId, string Subject, string Scope);
}
