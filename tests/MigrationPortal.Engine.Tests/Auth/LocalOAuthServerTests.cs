using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Fixtures.OAuth;

namespace MigrationPortal.Engine.Tests.Auth;

/// <summary>
/// The local OAuth server's "Sign in with Microsoft/Google" side (authorization code with PKCE, refresh tokens), through a
/// plain HttpClient as the portal's sign-in button will use it: what a later feature builds on, checked now.
/// </summary>
public sealed class LocalOAuthServerTests(LocalOAuthServer server) : IClassFixture<LocalOAuthServer>
{
    private static readonly Uri RedirectUri = new("https://portal.example/signin-callback");

    [Theory]
    [InlineData("contoso-tenant/oauth2/v2.0/")] // Microsoft's endpoints
    [InlineData("")] // Google's
    public async Task AuthorizationCode_WithPkce_TokenForWhoSignedInAndRefreshable(string prefix)
    {
        var clientId = "signin-" + Guid.NewGuid().ToString("N")[..8];
        server.RegisterClient(clientId, secret: null, RedirectUri);
        server.NextSignIn = "Alice@Contoso.test";
        using var http = Client();
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

        var code = await AuthorizeAsync(http, prefix, clientId, challenge, state: "xyz");
        // The code is good for the verifier that made the challenge, and once.
        using var wrongVerifier = await TokenAsync(http, prefix, ("grant_type", "authorization_code"), ("code", code), ("client_id", clientId),
            ("redirect_uri", RedirectUri.ToString()), ("code_verifier", verifier[..^1] + (verifier[^1] == 'A' ? "B" : "A")));
        Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier.StatusCode);
        code = await AuthorizeAsync(http, prefix, clientId, challenge, state: "xyz");
        using var issued = await TokenAsync(http, prefix, ("grant_type", "authorization_code"), ("code", code), ("client_id", clientId),
            ("redirect_uri", RedirectUri.ToString()), ("code_verifier", verifier));
        using var again = await TokenAsync(http, prefix, ("grant_type", "authorization_code"), ("code", code), ("client_id", clientId),
            ("redirect_uri", RedirectUri.ToString()), ("code_verifier", verifier));

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        var tokens = await JsonAsync(issued);
        var access = tokens.GetProperty("access_token").GetString()!;
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        Assert.Equal("alice@contoso.test", (await IntrospectAsync(access)).GetProperty("email").GetString());

        using var refreshed = await TokenAsync(http, prefix, ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", clientId));
        var newAccess = (await JsonAsync(refreshed)).GetProperty("access_token").GetString()!;
        Assert.NotEqual(access, newAccess);
        Assert.True((await IntrospectAsync(newAccess)).GetProperty("active").GetBoolean());

        // Revoked consent: the tokens stop working and the refresh token is refused.
        server.RevokeSignIn(clientId, "alice@contoso.test");
        Assert.False((await IntrospectAsync(newAccess)).GetProperty("active").GetBoolean());
        using var afterRevoke = await TokenAsync(http, prefix, ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", clientId));
        Assert.Equal("invalid_grant", (await JsonAsync(afterRevoke)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Authorize_NobodySignsIn_RedirectsWithAccessDenied()
    {
        var clientId = "signin-" + Guid.NewGuid().ToString("N")[..8];
        server.RegisterClient(clientId, secret: null, RedirectUri);
        server.NextSignIn = null;
        using var http = Client();

        using var answer = await http.GetAsync(AuthorizeUrl("", clientId, new string('a', 43), "s1"));

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.StartsWith($"{RedirectUri}?error=access_denied", answer.Headers.Location!.ToString());
        Assert.Contains("state=s1", answer.Headers.Location!.ToString());
    }

    private HttpClient Client() => new(TokenEndpointHttp.Handler([server.CertificateSha256])) { BaseAddress = server.BaseUrl };

    private static string AuthorizeUrl(string prefix, string clientId, string challenge, string state) =>
        $"{prefix}authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(RedirectUri.ToString())}" +
        $"&scope=openid%20email&state={state}&code_challenge={challenge}&code_challenge_method=S256";

    private static async Task<string> AuthorizeAsync(HttpClient http, string prefix, string clientId, string challenge, string state)
    {
        using var answer = await http.GetAsync(AuthorizeUrl(prefix, clientId, challenge, state));
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        var location = answer.Headers.Location!;
        Assert.StartsWith(RedirectUri.ToString(), location.ToString());
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(state, query["state"].ToString());
        return query["code"].ToString();
    }

    private static Task<HttpResponseMessage> TokenAsync(HttpClient http, string prefix, params (string Name, string Value)[] form) =>
        http.PostAsync($"{prefix}token", new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Name, f.Value))));

    private async Task<JsonElement> IntrospectAsync(string token)
    {
        using var plain = new HttpClient();
        using var answer = await plain.PostAsync(server.IntrospectionUrl, new FormUrlEncodedContent([KeyValuePair.Create("token", token)]));
        return await JsonAsync(answer);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage answer) =>
        JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone();
}
