using System.Text;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.OAuth;
using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>What only the portal tests read of the servers: the emailed link (the browser tests read it their own way).</summary>
public sealed partial class ModernAuthServers
{
    /// <summary>None of <paramref name="secrets"/> (tokens, client secrets, keys) is in the portal's logs, the given pages or its database files in clear.</summary>
    public static async Task AssertNowhereAsync(PortalFactory portal, IEnumerable<string> secrets, IReadOnlyCollection<string> pages)
    {
        var files = await portal.DatabaseContentsAsync();
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(portal.LogLines, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(pages, p => p.Contains(secret, StringComparison.Ordinal));
            foreach (var (name, bytes) in files)
                Assert.False(Encoding.UTF8.GetString(bytes).Contains(secret, StringComparison.Ordinal), $"A token or secret is in {name} in clear.");
        }
    }

    /// <summary>The secure link of the last credential request emailed to <paramref name="email"/>, waited for.</summary>
    public async Task<Uri> ReadLinkAsync(string email)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var message = Smtp.Messages.LastOrDefault(m => m.EnvelopeRecipients.Contains(email));
            if (message is not null) return AccessScenario.LinkIn(message.Message);
            if (DateTime.UtcNow > deadline) throw new TimeoutException("No credential request email for " + email);
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// Mailboxes moved from a Google-like server (service account, a token per mailbox) to a Microsoft-365-like one (an app
/// token for the whole domain) through the portal, with MSAL and Google.Apis.Auth asking the local OAuth server for real:
/// no password is asked or stored, a revoked grant fails the side in the provider's words, and no token or secret is
/// found in the portal's logs, database, pages or emails.
/// </summary>
public sealed class ModernAuthMigrationTests(ModernAuthServers servers) : IClassFixture<ModernAuthServers>
{
    private const string Tenant = "0b7a5c3e-2f6d-4f0e-9a55-6d1c2b3a4e5f";
    private const string Secret = "Ms~app-secret-value.for-tests-1";

    private sealed record Setup(PortalFactory Portal, AdminPages Admin, int Project, string Domain, string ClientId, ServiceAccountKey Key);

    private async Task<Setup> SetUpAsync()
    {
        var domain = $"d{Guid.NewGuid():N}"[..10] + ".test";
        var clientId = Guid.NewGuid().ToString();
        servers.OAuth.RegisterMicrosoftApp(Tenant, clientId, Secret, domain);
        var key = servers.OAuth.RegisterServiceAccount($"sa{Guid.NewGuid():N}"[..12]);
        var portal = new PortalFactory(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Portal:PublicBaseUrl"] = AccessScenario.PublicBaseUrl,
            ["ModernAuth:TrustedCertificateSha256:0"] = servers.OAuth.CertificateSha256,
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
            ["Migration:RetryDelay"] = "00:00:00.100",
            ["Outbox:PollInterval"] = "00:00:00.500",
        });
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(10);
        var project = await admin.CreateProjectAsync("Into Microsoft 365",
            (servers.Mail.Google.Host, servers.Mail.Google.Port, "None"), (servers.Mail.Microsoft.Host, servers.Mail.Microsoft.Port, "None"));
        await admin.SignInAsync(project, "source", "GoogleServiceAccount", new Dictionary<string, string>
        {
            ["Input.TokenUrl"] = servers.OAuth.GoogleTokenUrl.ToString(),
        }, Encoding.UTF8.GetBytes(key.KeyJson));
        await admin.SignInAsync(project, "destination", "Microsoft365App", new Dictionary<string, string>
        {
            ["Input.TenantId"] = Tenant,
            ["Input.ClientId"] = clientId,
            ["Input.ClientSecret"] = Secret,
            ["Input.AuthorityHost"] = servers.OAuth.BaseUrl.ToString(),
        });
        return new Setup(portal, admin, project, domain, clientId, key);
    }

    /// <summary>A user on both servers (passwords only for seeding and reading back) with messages at the source.</summary>
    private async Task<(string Email, string Password)> UserAsync(Setup s, int messages)
    {
        var user = await servers.SeedUserAsync(s.Domain, messages);
        servers.OAuth.Grant(s.Key.ClientEmail, user.Email);
        return user;
    }

    [Fact]
    public async Task Start_BothSidesTokens_NoPasswordAsked_CopiedExactly_NoTokenOrSecretLeaks()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        var (email, password) = await UserAsync(s, 25);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);

        var started = await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        Assert.NotEqual("Waiting for User", AdminPages.StatusOf(started, mailbox));
        var done = await WaitForStatusAsync(s, mailbox, "Completed");

        Assert.DoesNotContain(servers.Smtp.Messages, m => m.EnvelopeRecipients.Contains(email));
        var copied = await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password);
        var original = await MailboxContent.ReadAsync(servers.Mail.Google, email, password);
        Assert.Equal(25, copied.MessageCount);
        Assert.Equal(original.Folders["INBOX"], copied.Folders["INBOX"]);
        Assert.Contains("signing in as Microsoft 365 app", done.Body!.TextContent);

        // Tokens were issued by both grants, and none of them (nor the secrets) is anywhere the portal writes or shows.
        var tokens = servers.OAuth.IssuedTokens.Where(t => t.Subject == email || t.Grant.Contains(s.ClientId)).Select(t => t.Value).ToList();
        Assert.NotEmpty(tokens);
        var secrets = tokens.Append(Secret).Append(s.Key.KeyJson.Split('\n').First(l => l.Contains("private_key\"")).Split('"')[3][40..80]).ToList();
        var pages = new[] { done.DocumentElement.OuterHtml, (await s.Admin.Client.GetAsync($"/Admin/Projects/SignIn/{s.Project}")).DocumentElement.OuterHtml,
            (await s.Admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}")).DocumentElement.OuterHtml };
        await ModernAuthServers.AssertNowhereAsync(s.Portal, secrets, pages);
    }

    [Fact]
    public async Task MicrosoftAppWithACertificate_UploadedOnTheSignInPage_MailboxCopied()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Portal app", rsa,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        // The app registration now holds the certificate instead of a secret; the admin uploads the .pfx to the portal.
        servers.OAuth.RegisterMicrosoftAppCertificate(Tenant, s.ClientId, certificate, s.Domain);
        var saved = await s.Admin.SignInAsync(s.Project, "destination", "Microsoft365App", new Dictionary<string, string>
        {
            ["Input.TenantId"] = Tenant,
            ["Input.ClientId"] = s.ClientId,
            ["Input.CertificatePassword"] = "pfx-pass",
            ["Input.AuthorityHost"] = servers.OAuth.BaseUrl.ToString(),
        }, certificate: certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "pfx-pass"));
        Assert.Contains(certificate.Thumbprint, saved.QuerySelector("#destination")!.TextContent);
        var (email, password) = await UserAsync(s, 3);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);

        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        await WaitForStatusAsync(s, mailbox, "Completed");

        Assert.Equal(3, (await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password)).MessageCount);
    }

    [Fact]
    public async Task RevokedGrant_FailsNamingTheSide_WithTheProvidersWords()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        var (email, _) = await UserAsync(s, 3);
        servers.OAuth.Revoke(s.Key.ClientEmail, email);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);

        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        var failed = await WaitForStatusAsync(s, mailbox, "Failed");

        var row = failed.QuerySelector($"tr[data-mailbox-id='{mailbox}']")!.TextContent;
        Assert.Contains("Source sign-in refused", row);
        Assert.Contains("unauthorized_client", row);
    }

    [Fact]
    public async Task MailboxTheAppIsNotGrantedFor_FailsSayingTheProviderIssuedATokenTheMailboxRefused()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        // The Microsoft app's grant covers its own domain only; this mailbox is in another one.
        var outside = s with { Domain = "elsewhere-" + s.Domain };
        var (email, password) = await UserAsync(outside, 2);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);

        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        var failed = await WaitForStatusAsync(s, mailbox, "Failed");

        var row = failed.QuerySelector($"tr[data-mailbox-id='{mailbox}']")!.TextContent;
        Assert.Contains("Destination sign-in refused: the provider issued a token but the mailbox refused it", row);
        Assert.Equal(0, (await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password)).MessageCount);
    }

    [Fact]
    public async Task SourcePasswordAskedOfTheUser_DestinationApp_TheFormAsksOnlyTheSource_ThenCopies()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        // The source signs in with the user's password this time; the destination stays the Microsoft 365 app.
        await s.Admin.SignInAsync(s.Project, "source", "Password");
        var (email, password) = await UserAsync(s, 4);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null, login: email);

        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        var link = await servers.ReadLinkAsync(email);
        using var user = new HtmlClient(s.Portal.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true }));
        var form = await user.GetAsync(link.PathAndQuery);
        Assert.NotNull(form.QuerySelector("input[name='Input.SourcePassword']"));
        Assert.Null(form.QuerySelector("input[name='Input.DestinationPassword']"));
        await user.SubmitAsync((AngleSharp.Html.Dom.IHtmlFormElement)form.QuerySelector("main form")!, "Submit",
            new Dictionary<string, string> { ["Input.SourceLogin"] = email, ["Input.SourcePassword"] = password });

        await WaitForStatusAsync(s, mailbox, "Completed");
        Assert.Equal(4, (await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password)).MessageCount);
        var stored = await s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.True(stored.Source.IsKnown);
        Assert.False(stored.Destination.IsKnown); // nothing asked or stored for the token side
    }

    [Fact]
    public async Task VerifyCredentials_TokenSides_ChecksTokenAndGrant_SaysWhichFailed()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        var (good, _) = await UserAsync(s, 1);
        var (revoked, _) = await UserAsync(s, 1);
        servers.OAuth.Revoke(s.Key.ClientEmail, revoked);
        var ok = await s.Admin.AddMailboxAsync(s.Project, good, null, null);
        var bad = await s.Admin.AddMailboxAsync(s.Project, revoked, null, null);

        var dashboard = await s.Admin.ActAsync(s.Project, "Verify Credentials", [ok, bad]);
        var report = AdminPages.Report(await s.Admin.WaitForReportAsync(dashboard));

        Assert.Contains("Verify Credentials: applied to 1 mailbox", report);
        Assert.Contains("Source sign-in refused", report);
        Assert.Contains("unauthorized_client", report);
    }

    private static Task<AngleSharp.Html.Dom.IHtmlDocument> WaitForStatusAsync(Setup s, int mailbox, string status) =>
        s.Admin.WaitForDashboardAsync(s.Project, d => AdminPages.StatusOf(d, mailbox) == status, s.Portal.LogLines);
}
