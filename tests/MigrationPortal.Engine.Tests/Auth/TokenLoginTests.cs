using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.OAuth;

namespace MigrationPortal.Engine.Tests.Auth;

/// <summary>Logging in with access tokens, on Dovecot servers that validate them against the local OAuth server.</summary>
public sealed class TokenLoginTests(OAuthMailServers servers) : IClassFixture<OAuthMailServers>
{
    private const string Password = "seed-Password-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Connect_ServiceAccountTokenForTheMailbox_BothConnectionsLogInWithEitherMechanism()
    {
        var (alice, _) = await GoogleUsersAsync();
        using var tokens = GoogleTokens(servers.OAuth.RegisterServiceAccount("sa" + Id()), alice);
        var token = (await tokens.GetAsync(alice, default)).Value;

        foreach (var mechanism in new[] { ImapAuthMechanism.XOAuth2, ImapAuthMechanism.OAuthBearer })
        {
            var login = ImapLogin.Bearer(alice, token, mechanism);
            await using var session = await _connector.ConnectAsync(Endpoint(servers.Google), login, default);
            await session.Store.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
            await using var writer = await _connector.ConnectAppendWriterAsync(Endpoint(servers.Google), login, default);
            // Logged in: only an authenticated connection may SELECT.
            Assert.Equal("INBOX", (await writer.SelectAsync("INBOX", default)).Name);
        }
    }

    [Fact]
    public async Task Connect_TokenOfAnotherUser_RejectedWithTheServersWordsAndWithoutTheToken()
    {
        var (alice, bob) = await GoogleUsersAsync();
        var account = servers.OAuth.RegisterServiceAccount("sa" + Id());
        servers.OAuth.Grant(account.ClientEmail, bob);
        using var tokens = GoogleTokens(account, alice);
        var bobsToken = (await tokens.GetAsync(bob, default)).Value;

        var session = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAsync(Endpoint(servers.Google), ImapLogin.Bearer(alice, bobsToken, ImapAuthMechanism.XOAuth2), default));
        var writer = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAppendWriterAsync(Endpoint(servers.Google), ImapLogin.Bearer(alice, bobsToken, ImapAuthMechanism.OAuthBearer), default));

        foreach (var e in new[] { session, writer })
        {
            Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
            Assert.Contains("Authentication failed", e.Message, StringComparison.OrdinalIgnoreCase);
            AssertNoSecret(e, bobsToken);
        }
        // The APPEND writer finished the SASL exchange after the server's error challenge and reports its status.
        Assert.Contains("invalid_token", writer.Message);
    }

    [Fact]
    public async Task Connect_ServerWithoutTokenMechanisms_UnreachableNamingTheMechanismAndNothingSent()
    {
        await using var plain = new DovecotServer();
        await plain.InitializeAsync();
        await plain.AddUserAsync("carol", Password);
        var login = ImapLogin.Bearer("carol", "a-token-that-must-not-travel", ImapAuthMechanism.XOAuth2);

        var session = await Assert.ThrowsAsync<ImapConnectException>(() => _connector.ConnectAsync(Endpoint(plain), login, default));
        var writer = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAppendWriterAsync(Endpoint(plain), login with { Mechanism = ImapAuthMechanism.OAuthBearer }, default));

        Assert.Equal(ImapConnectFailure.Unreachable, session.Failure);
        Assert.Contains($"{plain.Host}:{plain.Port} does not offer AUTH=XOAUTH2", session.Message);
        Assert.Equal(ImapConnectFailure.Unreachable, writer.Failure);
        Assert.Contains("does not offer AUTH=OAUTHBEARER", writer.Message);
        await plain.StopAsync();
        // Dovecot logs each connection that ended without a login attempt so; an attempt would be logged as a failed login.
        var log = plain.ReadLog();
        Assert.DoesNotContain("auth failed", log, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("no auth attempts", log);
    }

    private async Task<(string Alice, string Bob)> GoogleUsersAsync()
    {
        var id = Id();
        var (alice, bob) = ($"alice{id}@example.org", $"bob{id}@example.org");
        await servers.Google.AddUserAsync(alice, Password);
        await servers.Google.AddUserAsync(bob, Password);
        return (alice, bob);
    }

    private GoogleServiceAccountTokens GoogleTokens(ServiceAccountKey account, string grantedMailbox)
    {
        servers.OAuth.Grant(account.ClientEmail, grantedMailbox);
        return new GoogleServiceAccountTokens(new GoogleServiceAccountSettings(account.KeyJson), TrustTheOAuthServer);
    }

    private HttpMessageHandler TrustTheOAuthServer() => TokenEndpointHttp.Handler([servers.OAuth.CertificateSha256]);

    private static ImapEndpoint Endpoint(DovecotServer server) => new(server.Host, server.Port, TlsMode.None);

    private static string Id() => Guid.NewGuid().ToString("N")[..8];

    internal static void AssertNoSecret(Exception e, params string[] secrets)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            foreach (var secret in secrets)
                Assert.DoesNotContain(secret, x.Message, StringComparison.Ordinal);
    }
}
