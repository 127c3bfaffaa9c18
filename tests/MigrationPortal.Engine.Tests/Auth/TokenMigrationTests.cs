using System.Collections.Concurrent;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Engine.Tests.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.Faults;
using MigrationPortal.Fixtures.OAuth;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Auth;

/// <summary>
/// Whole passes whose sides log in with access tokens: the source as a Google Workspace mailbox (a service account's
/// JWT bearer grant, OAUTHBEARER), the destination as a Microsoft 365 mailbox (an app's client credentials through MSAL,
/// XOAUTH2), on Dovecot servers that check every token with the local OAuth server.
/// </summary>
public sealed class TokenMigrationTests(OAuthMailServers servers) : IClassFixture<OAuthMailServers>
{
    private const string Password = "seed-Password-1";
    private const string Tenant = "contoso-tenant";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Run_GoogleSourceAndMicrosoftDestinationByToken_EveryMessageCopiedOverTokenLogins()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 4);
        using var google = GoogleTokens(mailbox.ServiceAccount);
        using var microsoft = MicrosoftTokens(mailbox.App);
        var connector = new RecordingConnector(_connector);

        var result = await new MailboxMigration(connector).RunAsync(
            MigrationSide.WithTokens(Endpoint(servers.Google), mailbox.Source, google, ImapAuthMechanism.OAuthBearer),
            MigrationSide.WithTokens(Endpoint(servers.Microsoft), mailbox.Destination, microsoft, ImapAuthMechanism.XOAuth2),
            new MemoryCheckpoints(), PassOptions.Full, default, default);

        Assert.Equal(12, result.MessagesCopied);
        Assert.Empty(await DifferencesAsync(mailbox));
        // Every connection logged in with a token, the APPEND writer's too (it was used: messages were copied through it).
        Assert.Contains(connector.Logins, l => l is { Writer: true, Mechanism: ImapAuthMechanism.XOAuth2 });
        Assert.All(connector.Logins, l => Assert.Equal(l.Port == servers.Google.Port ? ImapAuthMechanism.OAuthBearer : ImapAuthMechanism.XOAuth2, l.Mechanism));
        // Hour-long tokens are reused: one grant per side however many connections the pass opened.
        Assert.True(connector.Logins.Count >= 4, $"{connector.Logins.Count} logins");
        Assert.Equal([LocalOAuthServer.ClientCredentialsGrant, LocalOAuthServer.JwtBearerGrant],
            servers.OAuth.IssuedTokens.Where(mailbox.Owns).Select(t => t.GrantType).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Run_MailboxTheServiceAccountHasNoGrantFor_SourceFailsWithGooglesWords()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 1);
        var other = servers.OAuth.RegisterServiceAccount("sa" + Id()); // never granted this mailbox
        using var google = new GoogleServiceAccountTokens(new GoogleServiceAccountSettings(other.KeyJson), TrustTheOAuthServer);
        using var microsoft = MicrosoftTokens(mailbox.App);

        var e = await Assert.ThrowsAsync<MigrationSideException>(() => RunAsync(mailbox, google, microsoft));

        Assert.True(e.IsSource);
        Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
        Assert.StartsWith("Source: ", e.Message);
        Assert.Contains("unauthorized_client: Client is unauthorized to retrieve access tokens using this method", e.Message);
        TokenLoginTests.AssertNoSecret(e, [.. Secrets(other)]);
    }

    [Fact]
    public async Task Run_WrongClientSecret_DestinationFailsWithTheAadstsWordsAndNotTheSecret()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 1);
        using var google = GoogleTokens(mailbox.ServiceAccount);
        const string wrongSecret = "wrong~Secret.Value-1234567890";
        using var microsoft = new Microsoft365AppTokens(
            new Microsoft365AppSettings(Tenant, mailbox.App.ClientId, wrongSecret) { AuthorityHost = servers.OAuth.BaseUrl }, TrustTheOAuthServer);

        var e = await Assert.ThrowsAsync<MigrationSideException>(() => RunAsync(mailbox, google, microsoft));

        Assert.False(e.IsSource);
        Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
        Assert.StartsWith("Destination: ", e.Message);
        Assert.Contains("AADSTS7000215: Invalid client secret provided.", e.Message);
        TokenLoginTests.AssertNoSecret(e, [wrongSecret, mailbox.App.Secret, .. Secrets(mailbox.ServiceAccount)]);
    }

    [Fact]
    public async Task Run_MicrosoftAppWithACertificate_SignedAssertionGetsTheToken_EveryMessageCopied()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 2);
        using var certificate = AppCertificate();
        // The same app, registered with the certificate's public key instead of a secret.
        servers.OAuth.RegisterMicrosoftAppCertificate(Tenant, mailbox.App.ClientId, certificate, mailbox.Destination.Split('@')[1]);
        using var google = GoogleTokens(mailbox.ServiceAccount);
        using var microsoft = new Microsoft365AppTokens(
            new Microsoft365AppSettings(Tenant, mailbox.App.ClientId, "") { AuthorityHost = servers.OAuth.BaseUrl, Certificate = certificate }, TrustTheOAuthServer);

        var result = await RunAsync(mailbox, google, microsoft);

        Assert.Equal(6, result.MessagesCopied);
        Assert.Empty(await DifferencesAsync(mailbox));
    }

    [Fact]
    public async Task Run_CertificateTheAppDoesNotHave_DestinationFailsWithTheAadstsWords()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 1);
        using var registered = AppCertificate();
        using var other = AppCertificate();
        servers.OAuth.RegisterMicrosoftAppCertificate(Tenant, mailbox.App.ClientId, registered, mailbox.Destination.Split('@')[1]);
        using var google = GoogleTokens(mailbox.ServiceAccount);
        using var microsoft = new Microsoft365AppTokens(
            new Microsoft365AppSettings(Tenant, mailbox.App.ClientId, "") { AuthorityHost = servers.OAuth.BaseUrl, Certificate = other }, TrustTheOAuthServer);

        var e = await Assert.ThrowsAsync<MigrationSideException>(() => RunAsync(mailbox, google, microsoft));

        Assert.False(e.IsSource);
        Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
        Assert.Contains("AADSTS700027: Client assertion failed signature validation.", e.Message);
    }

    /// <summary>A self-signed RSA certificate with its private key, as an admin makes one for an app registration.</summary>
    internal static System.Security.Cryptography.X509Certificates.X509Certificate2 AppCertificate()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=MigrationPortal test app", rsa,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    [Fact]
    public async Task Run_GrantRevokedAfterAPass_NextPassFailsTheSourceAsRefused()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 1);
        using var google = GoogleTokens(mailbox.ServiceAccount);
        using var microsoft = MicrosoftTokens(mailbox.App);
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(mailbox, google, microsoft, checkpoints);

        servers.OAuth.Revoke(mailbox.ServiceAccount.ClientEmail, mailbox.Source);
        // The same token source still holds its hour-long token: the IMAP server refuses it now.
        var cached = await Assert.ThrowsAsync<MigrationSideException>(() => RunAsync(mailbox, google, microsoft, checkpoints));
        // A new token source (a restarted portal) is refused its token by the provider.
        using var restarted = GoogleTokens(mailbox.ServiceAccount);
        var fresh = await Assert.ThrowsAsync<MigrationSideException>(() => RunAsync(mailbox, restarted, microsoft, checkpoints));

        foreach (var e in new[] { cached, fresh })
        {
            Assert.True(e.IsSource);
            Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
            Assert.StartsWith("Source: ", e.Message);
            TokenLoginTests.AssertNoSecret(e, [.. Secrets(mailbox.ServiceAccount), mailbox.App.Secret]);
        }
        Assert.Contains("Authentication failed", cached.Message);
        Assert.Contains("unauthorized_client", fresh.Message);
    }

    /// <summary>
    /// Tokens live 2 s here, less than both libraries' margin before expiry (MSAL: 5 minutes; Google.Apis.Auth: refresh
    /// 6 minutes before, never hand out within 5): so each of them asks for a new token whenever a connection is opened,
    /// which is what this test relies on. It proves the engine's part: connections opened after the first tokens
    /// expired (the retry after a cut connection) ask the token source again and log in with a new token, and the
    /// resumed pass copies nothing twice. That a token is reused until its library's margin is shown by the first test.
    /// </summary>
    [Fact]
    public async Task Run_TokensExpireBeforeARetry_RetryLogsInWithNewTokensAndEveryMessageIsThereOnce()
    {
        var mailbox = await MailboxAsync(messagesPerFolder: 5);
        var lifetime = TimeSpan.FromSeconds(2);
        servers.OAuth.TokenLifetime = lifetime;
        try
        {
            using var google = GoogleTokens(mailbox.ServiceAccount);
            using var microsoft = MicrosoftTokens(mailbox.App);
            await using var proxy = new CuttingProxy(servers.Microsoft.Host, servers.Microsoft.Port);
            // The answer to the second APPEND is lost: that batch is stored, and the retry must recognise it.
            proxy.CutOnce(CutDirection.ServerToClient, 0, marker: " APPEND ", occurrence: 2);
            // A token asked for after the cut is asked for only once every token issued before it has expired, so the
            // retry cannot log in with a token that was cached, only with one obtained anew.
            var issuedBeforeCut = new List<IssuedToken>();
            async Task AfterTheCutWaitForExpiry()
            {
                if (proxy.Cuts == 0) return;
                lock (issuedBeforeCut)
                    if (issuedBeforeCut.Count == 0) issuedBeforeCut.AddRange(servers.OAuth.IssuedTokens.Where(mailbox.Owns));
                var wait = issuedBeforeCut.Max(t => t.ExpiresOn) - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
            }
            var connector = new RecordingConnector(_connector);
            var retries = new ConcurrentQueue<Exception>();
            var migration = new MailboxMigration(connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(100) })
            {
                OnRetry = (e, _) => retries.Enqueue(e),
            };

            var result = await migration.RunAsync(
                MigrationSide.WithTokens(Endpoint(servers.Google), mailbox.Source, new Delayed(google, AfterTheCutWaitForExpiry), ImapAuthMechanism.OAuthBearer),
                MigrationSide.WithTokens(new ImapEndpoint(proxy.Host, proxy.Port, TlsMode.None), mailbox.Destination,
                    new Delayed(microsoft, AfterTheCutWaitForExpiry), ImapAuthMechanism.XOAuth2),
                new MemoryCheckpoints(), PassOptions.Full, default, default);

            Assert.Equal(1, proxy.Cuts);
            Assert.Single(retries);
            Assert.NotEmpty(issuedBeforeCut);
            Assert.Empty(await DifferencesAsync(mailbox));
            // New tokens of both grants were issued for the retry, after every earlier one had expired.
            var afterCut = servers.OAuth.IssuedTokens.Where(mailbox.Owns).Except(issuedBeforeCut).ToList();
            Assert.Contains(afterCut, t => t.GrantType == LocalOAuthServer.JwtBearerGrant && t.Subject == mailbox.Source);
            Assert.Contains(afterCut, t => t.GrantType == LocalOAuthServer.ClientCredentialsGrant && t.Grant == $"app:{mailbox.App.ClientId}");
            // And the server really refuses an expired one: reusing it could not have worked.
            var expired = issuedBeforeCut.First(t => t.Subject == mailbox.Source);
            var refused = await Assert.ThrowsAsync<ImapConnectException>(() => _connector.ConnectAsync(Endpoint(servers.Google),
                ImapLogin.Bearer(mailbox.Source, expired.Value, ImapAuthMechanism.OAuthBearer), default));
            Assert.Equal(ImapConnectFailure.Rejected, refused.Failure);
        }
        finally
        {
            servers.OAuth.TokenLifetime = TimeSpan.FromHours(1);
        }
    }

    // ----------------------------------------------------------------- helpers

    private sealed record Mailbox(string Source, string Destination, ServiceAccountKey ServiceAccount, (string ClientId, string Secret) App)
    {
        /// <summary>Whether the token was issued for this mailbox's service account or app (other tests' tokens are not).</summary>
        public bool Owns(IssuedToken token) =>
            token.Grant == $"app:{App.ClientId}" || token.Grant.StartsWith($"sa:{ServiceAccount.ClientEmail}:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A source mailbox at the Google-like server with three folders, an empty destination at the Microsoft-like one, a service account granted the source and an app for the destination's domain.</summary>
    private async Task<Mailbox> MailboxAsync(int messagesPerFolder)
    {
        var id = Id();
        var domain = $"contoso{id}.test";
        var mailbox = new Mailbox($"ada{id}@example.org", $"ada@{domain}", servers.OAuth.RegisterServiceAccount("sa" + id), ($"app-{id}", $"s3cret~{id}.value"));
        servers.OAuth.RegisterMicrosoftApp(Tenant, mailbox.App.ClientId, mailbox.App.Secret, domain);
        servers.OAuth.Grant(mailbox.ServiceAccount.ClientEmail, mailbox.Source);
        await servers.Google.AddUserAsync(mailbox.Source, Password);
        await servers.Microsoft.AddUserAsync(mailbox.Destination, Password);
        foreach (var folder in new[] { "INBOX", "Projects/2026", "Archive" })
            await servers.Google.AppendMessagesAsync(mailbox.Source, Password, folder,
                Enumerable.Range(1, messagesPerFolder).Select(i => Message($"{folder} {i}")));
        return mailbox;
    }

    private Task<PassResult> RunAsync(Mailbox mailbox, IAccessTokenSource google, IAccessTokenSource microsoft, MemoryCheckpoints? checkpoints = null) =>
        new MailboxMigration(_connector, new RetryPolicy { MaxRetries = 0 }).RunAsync(
            MigrationSide.WithTokens(Endpoint(servers.Google), mailbox.Source, google, ImapAuthMechanism.OAuthBearer),
            MigrationSide.WithTokens(Endpoint(servers.Microsoft), mailbox.Destination, microsoft, ImapAuthMechanism.XOAuth2),
            checkpoints ?? new MemoryCheckpoints(), PassOptions.Full, default, default);

    private async Task<IReadOnlyList<string>> DifferencesAsync(Mailbox mailbox)
    {
        var source = await MailboxContent.ReadAsync(servers.Google, mailbox.Source, Password);
        var destination = await MailboxContent.ReadAsync(servers.Microsoft, mailbox.Destination, Password);
        return destination.DifferencesFrom(source);
    }

    private GoogleServiceAccountTokens GoogleTokens(ServiceAccountKey account) =>
        new(new GoogleServiceAccountSettings(account.KeyJson), TrustTheOAuthServer);

    private Microsoft365AppTokens MicrosoftTokens((string ClientId, string Secret) app) =>
        new(new Microsoft365AppSettings(Tenant, app.ClientId, app.Secret) { AuthorityHost = servers.OAuth.BaseUrl }, TrustTheOAuthServer);

    private HttpMessageHandler TrustTheOAuthServer() => TokenEndpointHttp.Handler([servers.OAuth.CertificateSha256]);

    /// <summary>What must never show in a message: every token issued, the service account's private key.</summary>
    private IEnumerable<string> Secrets(ServiceAccountKey account)
    {
        foreach (var token in servers.OAuth.IssuedTokens)
            yield return token.Value;
        using var key = System.Text.Json.JsonDocument.Parse(account.KeyJson);
        var pem = key.RootElement.GetProperty("private_key").GetString()!;
        yield return pem.Split('\n')[1]; // a line of the key itself
    }

    private static ImapEndpoint Endpoint(DovecotServer server) => new(server.Host, server.Port, TlsMode.None);

    private static string Id() => Guid.NewGuid().ToString("N")[..8];

    private static MimeMessage Message(string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
        return message;
    }

    /// <summary>A real token source, asked only after the test's wait.</summary>
    private sealed class Delayed(IAccessTokenSource inner, Func<Task> wait) : IAccessTokenSource
    {
        public async ValueTask<AccessToken> GetAsync(string mailbox, CancellationToken ct)
        {
            await wait();
            return await inner.GetAsync(mailbox, ct);
        }
    }

    /// <summary>The real connector, recording how each connection logged in.</summary>
    private sealed class RecordingConnector(IImapConnector inner) : IImapConnector
    {
        private readonly ConcurrentQueue<(bool Writer, int Port, ImapAuthMechanism Mechanism)> _logins = new();

        public IReadOnlyList<(bool Writer, int Port, ImapAuthMechanism Mechanism)> Logins => [.. _logins];

        public Task<ImapSession> ConnectAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct)
        {
            _logins.Enqueue((false, endpoint.Port, login.Mechanism));
            return inner.ConnectAsync(endpoint, login, ct);
        }

        public Task<AppendWriter> ConnectAppendWriterAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct)
        {
            _logins.Enqueue((true, endpoint.Port, login.Mechanism));
            return inner.ConnectAppendWriterAsync(endpoint, login, ct);
        }
    }
}
