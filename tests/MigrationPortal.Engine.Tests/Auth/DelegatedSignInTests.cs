using System.Net;
using System.Text.Json;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.OAuth;

namespace MigrationPortal.Engine.Tests.Auth;

/// <summary>
/// A user's own sign-in, through real MSAL and real Google.Apis.Auth against the local OAuth server: the browser is an
/// HttpClient that does not follow redirects (it reads the code and state off the redirect back to the portal), and each
/// token is tried where the user would notice, on a Dovecot server that opens a mailbox only for its own user's token.
/// </summary>
public sealed class DelegatedSignInTests(OAuthMailServers servers) : IClassFixture<OAuthMailServers>
{
    public enum Provider { Microsoft, Google }

    private const string Password = "seed-Password-1";
    private const string Tenant = "contoso-tenant";
    private static readonly Uri RedirectUri = new("https://portal.example/signin/callback");
    // Under MSAL's and our 5-minute margin: every GetAsync refreshes.
    private static readonly TimeSpan ShortLifetime = TimeSpan.FromMinutes(2);
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(Provider.Microsoft)]
    [InlineData(Provider.Google)]
    public async Task SignIn_AccountIsWhoSignedIn_TokenOpensTheirMailboxAndStateAndHintRoundTrip(Provider provider)
    {
        servers.OAuth.TokenLifetime = TimeSpan.FromHours(1);
        using var app = Register(provider);
        var user = await UserAsync();
        servers.OAuth.NextSignIn = user.ToUpperInvariant(); // as typed on the provider's page
        var state = "state-" + Id() + "~with.odd_chars";

        var start = await app.SignIn.StartAsync(RedirectUri, state, loginHint: user, default);
        var (code, returnedState) = await BrowserAsync(start.Url);
        var grant = await app.SignIn.RedeemAsync(RedirectUri, code, start.CodeVerifier, default);

        Assert.Equal(state, returnedState);
        var authorize = servers.OAuth.AuthorizeRequests.Last();
        Assert.Equal(user, authorize["login_hint"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.DoesNotContain(start.CodeVerifier, start.Url.ToString(), StringComparison.Ordinal);
        Assert.Equal(user, grant.Account);
        await AssertOpensAsync(user, grant.Token.Value);
        Assert.True(grant.Token.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(50), $"{grant.Token.ExpiresOn}");
        Assert.DoesNotContain(app.Secret, grant.Grant, StringComparison.Ordinal);
        Assert.DoesNotContain(grant.Token.Value, grant.ToString(), StringComparison.Ordinal);
        if (provider == Provider.Google)
        {
            Assert.Equal("offline", authorize["access_type"]);
            Assert.Equal("consent", authorize["prompt"]);
        }
    }

    [Theory]
    [InlineData(Provider.Microsoft)]
    [InlineData(Provider.Google)]
    public async Task Get_WhileFresh_TheSameTokenWithoutAnyRequest(Provider provider)
    {
        servers.OAuth.TokenLifetime = TimeSpan.FromHours(1);
        using var app = Register(provider);
        var user = await UserAsync();
        var grant = await SignInAsync(app, user);
        var requests = servers.OAuth.Requests.Count;

        var first = await app.SignIn.GetAsync(grant.Grant, default);
        var second = await app.SignIn.GetAsync(grant.Grant, default);

        Assert.Equal(requests, servers.OAuth.Requests.Count);
        Assert.Equal(grant.Token.Value, first.Token.Value);
        Assert.Equal(grant.Token.Value, second.Token.Value);
        Assert.Null(first.RenewedGrant);
        await AssertOpensAsync(user, first.Token.Value);
    }

    [Theory]
    [InlineData(Provider.Microsoft)]
    [InlineData(Provider.Google)]
    public async Task Get_AfterExpiry_ANewTokenThatOpensTheMailbox(Provider provider)
    {
        servers.OAuth.TokenLifetime = TimeSpan.FromSeconds(2);
        using var app = Register(provider);
        var user = await UserAsync();
        var grant = await SignInAsync(app, user);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAsync<ImapConnectException>(() => AssertOpensAsync(user, grant.Token.Value));
        var refreshes = servers.OAuth.Issued(LocalOAuthServer.RefreshTokenGrant);

        var renewed = await app.SignIn.GetAsync(grant.Grant, default);

        Assert.Equal(refreshes + 1, servers.OAuth.Issued(LocalOAuthServer.RefreshTokenGrant));
        Assert.NotEqual(grant.Token.Value, renewed.Token.Value);
        await AssertOpensAsync(user, renewed.Token.Value);
        // Google answered with the same refresh token: the grant stays. MSAL's cache took the new access token: storing it
        // spares the next call a refresh.
        if (provider == Provider.Google)
            Assert.Null(renewed.RenewedGrant);
        else
            Assert.NotNull(renewed.RenewedGrant);
    }

    [Theory]
    [InlineData(Provider.Microsoft)]
    [InlineData(Provider.Google)]
    public async Task Get_RotatingRefreshTokens_RenewedGrantWorksAndTheOldOneStillDoes(Provider provider)
    {
        servers.OAuth.TokenLifetime = ShortLifetime;
        servers.OAuth.RotateRefreshTokens = true;
        try
        {
            using var app = Register(provider);
            var user = await UserAsync();
            var grant = await SignInAsync(app, user);

            var first = await app.SignIn.GetAsync(grant.Grant, default);
            Assert.NotNull(first.RenewedGrant);
            Assert.NotEqual(grant.Grant, first.RenewedGrant);
            Assert.NotEqual(RefreshTokenOf(grant.Grant), RefreshTokenOf(first.RenewedGrant));
            var fromRenewed = await app.SignIn.GetAsync(first.RenewedGrant, default);
            var fromOld = await app.SignIn.GetAsync(grant.Grant, default);

            await AssertOpensAsync(user, fromRenewed.Token.Value);
            await AssertOpensAsync(user, fromOld.Token.Value);
            Assert.DoesNotContain(app.Secret, first.RenewedGrant, StringComparison.Ordinal);
            Assert.DoesNotContain(first.RenewedGrant, first.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            servers.OAuth.RotateRefreshTokens = false;
        }
    }

    [Theory]
    [InlineData(Provider.Microsoft, "AADSTS700082: The refresh token has expired or been revoked.")]
    [InlineData(Provider.Google, "invalid_grant: Token has been expired or revoked.")]
    public async Task Get_SignInRevoked_RefusedForGoodWithTheProvidersWordsAndNoSecret(Provider provider, string words)
    {
        servers.OAuth.TokenLifetime = ShortLifetime;
        using var app = Register(provider);
        var user = await UserAsync();
        var grant = await SignInAsync(app, user);
        servers.OAuth.RevokeSignIn(app.ClientId, user);

        var e = await Assert.ThrowsAsync<AccessTokenException>(async () => await app.SignIn.GetAsync(grant.Grant, default));

        Assert.False(e.IsTransient);
        Assert.Contains(words, e.Message);
        Assert.Contains(servers.OAuth.BaseUrl.Host, e.Message);
        Assert.Contains(app.ClientId, e.Message);
        TokenLoginTests.AssertNoSecret(e, [app.Secret, RefreshTokenOf(grant.Grant), grant.Token.Value, .. servers.OAuth.IssuedTokens.Select(t => t.Value)]);
    }

    [Theory]
    [InlineData(Provider.Microsoft, "AADSTS501481: The Code_Verifier does not match the code_challenge")]
    [InlineData(Provider.Google, "invalid_grant: Invalid code verifier.")]
    public async Task Redeem_WrongVerifier_RefusedWithTheProvidersWordsAndNoSecret(Provider provider, string words)
    {
        using var app = Register(provider);
        var user = await UserAsync();
        servers.OAuth.NextSignIn = user;
        var start = await app.SignIn.StartAsync(RedirectUri, "s-" + Id(), loginHint: null, default);
        var (code, _) = await BrowserAsync(start.Url);
        var otherVerifier = (await app.SignIn.StartAsync(RedirectUri, "s-" + Id(), null, default)).CodeVerifier;
        var issued = servers.OAuth.IssuedTokens.Count;

        var e = await Assert.ThrowsAsync<AccessTokenException>(async () => await app.SignIn.RedeemAsync(RedirectUri, code, otherVerifier, default));

        Assert.False(e.IsTransient);
        Assert.Contains(words, e.Message);
        Assert.Equal(issued, servers.OAuth.IssuedTokens.Count);
        Assert.False(servers.OAuth.AuthorizeRequests.Last().ContainsKey("login_hint"));
        TokenLoginTests.AssertNoSecret(e, app.Secret, otherVerifier, start.CodeVerifier, code);
    }

    [Fact]
    public async Task Redeem_GoogleEmailNotVerified_NoGrantForAnAddressNobodyProvedTheyOwn()
    {
        servers.OAuth.TokenLifetime = TimeSpan.FromHours(1);
        using var app = Register(Provider.Google);
        var user = await UserAsync();
        servers.OAuth.GoogleEmailVerified = false;
        try
        {
            var e = await Assert.ThrowsAsync<AccessTokenException>(() => SignInAsync(app, user));

            Assert.False(e.IsTransient);
            Assert.Contains($"the unverified email {user}", e.Message);
            TokenLoginTests.AssertNoSecret(e, [app.Secret, .. servers.OAuth.IssuedTokens.Select(t => t.Value)]);
        }
        finally
        {
            servers.OAuth.GoogleEmailVerified = true;
        }
    }

    [Fact]
    public void Settings_PrintedByMistake_ShowNoSecret()
    {
        const string secret = "printed~Secret.Value-1234567890";
        var microsoft = new Microsoft365UserSettings(Tenant, "client-1", secret).ToString();
        var google = new GoogleUserSettings("client-2", secret).ToString();

        Assert.DoesNotContain(secret, microsoft, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, google, StringComparison.Ordinal);
        Assert.Contains("client-1", microsoft);
        Assert.Contains(Microsoft365UserSettings.DefaultScope, microsoft);
        Assert.Contains("client-2", google);
    }

    private async Task<DelegatedGrant> SignInAsync(SignInApp app, string user)
    {
        servers.OAuth.NextSignIn = user;
        var start = await app.SignIn.StartAsync(RedirectUri, "s-" + Id(), user, default);
        var (code, _) = await BrowserAsync(start.Url);
        return await app.SignIn.RedeemAsync(RedirectUri, code, start.CodeVerifier, default);
    }

    /// <summary>The user's browser: goes to the sign-in URL and is sent back to the portal with the code and the state.</summary>
    private async Task<(string Code, string State)> BrowserAsync(Uri url)
    {
        using var browser = new HttpClient(TokenEndpointHttp.Handler([servers.OAuth.CertificateSha256]));
        using var answer = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        var back = answer.Headers.Location!;
        Assert.Equal(RedirectUri.GetLeftPart(UriPartial.Path), back.GetLeftPart(UriPartial.Path));
        var query = back.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""));
        Assert.False(query.ContainsKey("error"), $"The sign-in failed: {back}");
        return (query["code"], query["state"]);
    }

    private SignInApp Register(Provider provider)
    {
        var clientId = provider.ToString().ToLowerInvariant() + "-app-" + Id();
        var secret = "client~Secret." + Guid.NewGuid().ToString("N");
        servers.OAuth.RegisterClient(clientId, secret, RedirectUri);
        IDelegatedSignIn signIn = provider == Provider.Microsoft
            ? new Microsoft365UserSignIn(new Microsoft365UserSettings(Tenant, clientId, secret) { AuthorityHost = servers.OAuth.BaseUrl }, TrustTheOAuthServer)
            : new GoogleUserSignIn(new GoogleUserSettings(clientId, secret)
            {
                AuthorizationUrl = new Uri(servers.OAuth.BaseUrl, "authorize"),
                TokenUrl = servers.OAuth.GoogleTokenUrl,
            }, TrustTheOAuthServer);
        return new SignInApp(signIn, clientId, secret);
    }

    private HttpMessageHandler TrustTheOAuthServer() => TokenEndpointHttp.Handler([servers.OAuth.CertificateSha256]);

    private async Task<string> UserAsync()
    {
        var user = $"user{Id()}@example.org";
        await servers.Google.AddUserAsync(user, Password);
        return user;
    }

    /// <summary>Logs in to the mailbox with the token (XOAUTH2) on the server that opens a mailbox only for its own user's token.</summary>
    private async Task AssertOpensAsync(string user, string token)
    {
        await using var session = await _connector.ConnectAsync(
            new ImapEndpoint(servers.Google.Host, servers.Google.Port, TlsMode.None), ImapLogin.Bearer(user, token, ImapAuthMechanism.XOAuth2), default);
        await session.Store.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
    }

    /// <summary>The refresh token inside a grant: Google's after the prefix; in MSAL's cache, its RefreshToken entry's secret.</summary>
    private static string RefreshTokenOf(string grant)
    {
        if (grant.StartsWith("google1:", StringComparison.Ordinal))
            return grant["google1:".Length..];
        var cache = Convert.FromBase64String(grant[(grant.IndexOf(':', "msal1:".Length) + 1)..]);
        using var json = JsonDocument.Parse(cache);
        return json.RootElement.GetProperty("RefreshToken").EnumerateObject().Single().Value.GetProperty("secret").GetString()!;
    }

    private static string Id() => Guid.NewGuid().ToString("N")[..8];

    private sealed record SignInApp(IDelegatedSignIn SignIn, string ClientId, string Secret) : IDisposable
    {
        public void Dispose() => ((IDisposable)SignIn).Dispose();
    }
}
