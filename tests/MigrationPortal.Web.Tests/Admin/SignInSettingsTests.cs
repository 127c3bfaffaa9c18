using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>
/// The project's Sign-in page: how each side's mailboxes are logged in to. Secrets are write-only (never shown again,
/// never stored or logged in clear), a wrong value is refused saying what and changes nothing, and Microsoft 365 gets
/// the Exchange PowerShell lines for the project's mailboxes.
/// </summary>
public sealed class SignInSettingsTests
{
    private const string Tenant = "0b7a5c3e-2f6d-4f0e-9a55-6d1c2b3a4e5f";
    private const string Client = "5c0e7d1a-8b2f-4c3d-9e4f-a1b2c3d4e5f6";
    private const string Secret = "Qx8~secret-value-NEVER-shown.1";

    private static Dictionary<string, string> Microsoft365(string tenant = Tenant, string client = Client, string secret = Secret) => new()
    {
        ["Input.TenantId"] = tenant,
        ["Input.ClientId"] = client,
        ["Input.ClientSecret"] = secret,
    };

    [Fact]
    public async Task Microsoft365App_Saved_SecretEncryptedNeverShown_BlankKeepsIt()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var page = await admin.SignInAsync(project, "destination", "Microsoft365App", Microsoft365());

        var section = page.QuerySelector("#destination")!.TextContent;
        Assert.Contains("Saved: destination mailboxes sign in as Microsoft 365 app", section);
        Assert.Contains("Destination: Microsoft 365 app (client credentials)", section);
        Assert.Contains("Source: Passwords", page.QuerySelector("#source")!.TextContent);
        Assert.DoesNotContain(Secret, page.DocumentElement.OuterHtml);
        Assert.Equal("", ((IHtmlInputElement)page.QuerySelector("#destination-secret")!).Value);
        var stored = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Id == project));
        Assert.Equal(SignInMethod.Microsoft365App, stored.DestinationSignIn.Method);
        Assert.Equal(Client, stored.DestinationSignIn.ClientId);
        Assert.DoesNotContain(Secret, stored.DestinationSignIn.ProtectedSecret);

        // Saved again with the secret left blank: the stored one stays.
        var cipher = stored.DestinationSignIn.ProtectedSecret;
        await admin.SignInAsync(project, "destination", "Microsoft365App", Microsoft365(secret: ""));
        Assert.Equal(cipher, await portal.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.DestinationSignIn.ProtectedSecret).SingleAsync()));

        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
            Assert.False(Encoding.UTF8.GetString(bytes).Contains(Secret, StringComparison.Ordinal), $"The secret is in {name} in clear.");
        Assert.DoesNotContain(portal.LogLines, l => l.Contains(Secret, StringComparison.Ordinal));
        var audit = (await admin.Client.GetAsync("/Admin/Audit")).Body!.TextContent;
        Assert.Contains("Sign-in set", audit);
        Assert.DoesNotContain(Secret, audit);
    }

    [Theory]
    [InlineData("common", Client, Secret, "not a directory (tenant) id")]
    [InlineData(Tenant, "my-app", Secret, "not an application (client) id")]
    [InlineData(Tenant, Client, "", "A client secret (its Value")]
    public async Task Microsoft365App_Invalid_RefusedSayingWhat_NothingChanged(string tenant, string client, string secret, string expected)
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var page = await admin.SignInAsync(project, "source", "Microsoft365App", Microsoft365(tenant, client, secret));

        Assert.Contains(expected, page.QuerySelector("#source .errors")!.TextContent);
        Assert.Equal(tenant, ((IHtmlInputElement)page.QuerySelector("#source-tenant")!).Value); // what was typed stays, but no secret
        Assert.Equal("", ((IHtmlInputElement)page.QuerySelector("#source-secret")!).Value);
        Assert.Equal(SignInMethod.Password, await portal.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.SourceSignIn.Method).SingleAsync()));
    }

    [Fact]
    public async Task Microsoft365App_CertificateWithPassword_StoredEncrypted_ThumbprintShown_WrongPasswordRefused()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        using var certificate = Certificate(TimeSpan.FromDays(365));
        var pfx = certificate.Export(X509ContentType.Pkcs12, "pfx-Password-1");
        var keyLine = certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem().Split('\n')[1];

        var refused = await admin.SignInAsync(project, "destination", "Microsoft365App",
            new Dictionary<string, string>(Microsoft365(secret: "")) { ["Input.CertificatePassword"] = "not-the-password" }, certificate: pfx);
        Assert.Contains("the password is wrong", refused.QuerySelector("#destination .errors")!.TextContent);
        Assert.Equal(SignInMethod.Password, await portal.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.DestinationSignIn.Method).SingleAsync()));

        var page = await admin.SignInAsync(project, "destination", "Microsoft365App",
            new Dictionary<string, string>(Microsoft365(secret: "")) { ["Input.CertificatePassword"] = "pfx-Password-1" }, certificate: pfx);

        Assert.Contains($"(certificate {certificate.Thumbprint})", page.QuerySelector("#destination")!.TextContent);
        Assert.Null(page.QuerySelector("#destination .warning[role='alert']")); // a year left
        var stored = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Id == project));
        Assert.True(stored.DestinationSignIn.UsesCertificate);
        Assert.Equal(certificate.Thumbprint, stored.DestinationSignIn.CertificateThumbprint);
        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
            Assert.False(Encoding.UTF8.GetString(bytes).Contains(keyLine, StringComparison.Ordinal), $"The private key is in {name} in clear.");
        Assert.DoesNotContain("pfx-Password-1", page.DocumentElement.OuterHtml);
    }

    [Fact]
    public async Task Microsoft365App_CertificateWithoutKeyRefused_ExpiringOneWarned()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        using var expiring = Certificate(TimeSpan.FromDays(10));

        var noKey = await admin.SignInAsync(project, "source", "Microsoft365App", Microsoft365(secret: ""),
            certificate: Encoding.ASCII.GetBytes(expiring.ExportCertificatePem()));
        Assert.Contains("PEM file must hold the certificate and its unencrypted private key", noKey.QuerySelector("#source .errors")!.TextContent);

        var pem = expiring.ExportCertificatePem() + "\n" + expiring.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();
        var page = await admin.SignInAsync(project, "source", "Microsoft365App", Microsoft365(secret: ""), certificate: Encoding.ASCII.GetBytes(pem));
        Assert.Contains($"The app's certificate {expiring.Thumbprint} expires on", page.QuerySelector("#source .warning[role='alert']")!.TextContent);
    }

    private static X509Certificate2 Certificate(TimeSpan left)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=MigrationPortal app", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow + left);
    }

    [Fact]
    public async Task Microsoft365App_PowerShellLines_NameEveryMailbox_QuotedSafely()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        await admin.AddMailboxAsync(project, "alice@contoso.test", "pw", null);
        await admin.AddMailboxAsync(project, "o'brien$HOME@contoso.test", "pw", null);

        var page = await admin.SignInAsync(project, "destination", "Microsoft365App", Microsoft365());

        var lines = page.QuerySelector("#destination pre.powershell")!.TextContent;
        Assert.Contains($"New-ServicePrincipal -AppId '{Client}' -ObjectId $objectId", lines);
        Assert.Contains($"Connect-ExchangeOnline -Organization '{Tenant}'", lines);
        Assert.Contains("Add-MailboxPermission -Identity 'alice@contoso.test' -User $objectId -AccessRights FullAccess", lines);
        // Single quotes: nothing inside is expanded, and a quote in the address is doubled.
        Assert.Contains("Add-MailboxPermission -Identity 'o''brien$HOME@contoso.test' -User $objectId", lines);

        var download = page.QuerySelector("#destination a[href*='handler=PowerShell']")!;
        var script = await admin.Client.Http.GetStringAsync(download.GetAttribute("href"));
        Assert.Equal(2, script.Split('\n').Count(l => l.StartsWith("Add-MailboxPermission", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GoogleServiceAccount_KeyUploaded_ShowsWhatTheWorkspaceAdminNeeds_KeyEncrypted()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var (key, privateKeyPem) = ServiceAccountKey("migrator@acme-move.iam.gserviceaccount.com", "104857600000000000001");

        var page = await admin.SignInAsync(project, "source", "GoogleServiceAccount", keyFile: key);

        var section = page.QuerySelector("#source")!.TextContent;
        Assert.Contains("Google Workspace service account migrator@acme-move.iam.gserviceaccount.com", section);
        Assert.Contains("104857600000000000001", section);
        Assert.Contains("https://mail.google.com/", section);
        Assert.Contains("Gmail's IMAP server is imap.gmail.com", section); // the project's source is another host
        var pemBody = privateKeyPem.Split('\n')[2];
        Assert.DoesNotContain(pemBody, page.DocumentElement.OuterHtml);
        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
            Assert.False(Encoding.UTF8.GetString(bytes).Contains(pemBody, StringComparison.Ordinal), $"The private key is in {name} in clear.");
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("{\"type\":\"authorized_user\",\"client_id\":\"x\"}", "not a service account key")]
    [InlineData("{\"type\":\"service_account\",\"client_email\":\"a@b.test\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}", "not an RSA private key")]
    public async Task GoogleServiceAccount_NotAKey_RefusedSayingWhat(string file, string expected)
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var page = await admin.SignInAsync(project, "source", "GoogleServiceAccount", keyFile: Encoding.UTF8.GetBytes(file));

        Assert.Contains(expected, page.QuerySelector("#source .errors")!.TextContent);
        Assert.Equal(SignInMethod.Password, await portal.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.SourceSignIn.Method).SingleAsync()));
    }

    [Fact]
    public async Task Start_DestinationSignsInWithTokens_AsksTheUserOnlyForTheSource()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(5);
        var project = await admin.CreateProjectAsync();
        await admin.SignInAsync(project, "destination", "Microsoft365App", Microsoft365());
        var mailbox = await admin.AddMailboxAsync(project, "alice@contoso.test", null, null);

        var dashboard = await admin.ActAsync(project, "Start", [mailbox]);

        Assert.Equal("Waiting for User", AdminPages.StatusOf(dashboard, mailbox));
        var request = await portal.WithDbAsync(db => db.CredentialRequests.SingleAsync(r => r.MailboxId == mailbox));
        Assert.True(request.AsksSource);
        Assert.False(request.AsksDestination);
    }

    /// <summary>A key shaped as Google's console downloads it, with a new RSA key.</summary>
    public static (byte[] Json, string PrivateKeyPem) ServiceAccountKey(string email, string clientId)
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem().ReplaceLineEndings("\n") + "\n";
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "acme-move",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = pem,
            ["client_email"] = email,
            ["client_id"] = clientId,
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        });
        return (json, pem);
    }
    [Fact]
    public async Task EachUserSignsIn_Saved_ShowsTheRedirectUriToRegister_SecretsKept_MissingSecretRefused()
    {
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Portal:PublicBaseUrl"] = "https://migrate.example.test/" });
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        const string googleClient = "123456-abcdef.apps.googleusercontent.com";
        const string googleSecret = "GOCSPX-never-shown-google-secret";

        // Google without its client secret: refused saying what, nothing saved.
        var refused = await admin.SignInAsync(project, "source", "GoogleUser", new Dictionary<string, string> { ["Input.GoogleClientId"] = googleClient });
        Assert.Contains("The OAuth client secret is required", refused.QuerySelector("#source ul.errors")!.TextContent);
        Assert.Equal(SignInMethod.Password, await portal.WithDbAsync(db => db.Projects.Where(p => p.Id == project).Select(p => p.SourceSignIn.Method).SingleAsync()));

        var google = await admin.SignInAsync(project, "source", "GoogleUser", new Dictionary<string, string>
        {
            ["Input.GoogleClientId"] = googleClient,
            ["Input.GoogleClientSecret"] = googleSecret,
        });
        Assert.Contains("each source mailbox's user signs in with Google", google.QuerySelector("#source")!.TextContent);
        Assert.Equal("https://migrate.example.test/access/signed-in", google.QuerySelector("#source-redirect-uri")!.TextContent);
        Assert.Equal(googleClient, ((IHtmlInputElement)google.QuerySelector("#source-google-client")!).Value);

        var microsoft = await admin.SignInAsync(project, "destination", "Microsoft365User", Microsoft365());
        var section = microsoft.QuerySelector("#destination")!.TextContent;
        Assert.Contains("Destination: Microsoft 365: each user signs in", section);
        Assert.Contains("IMAP.AccessAsUser.All", section);
        Assert.Equal("https://migrate.example.test/access/signed-in", microsoft.QuerySelector("#destination-redirect-uri")!.TextContent);
        foreach (var secret in new[] { Secret, googleSecret })
            Assert.DoesNotContain(secret, microsoft.DocumentElement.OuterHtml);

        // Saved again with both secrets blank: each stays, and the side is still each user's sign-in.
        var stored = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Id == project));
        await admin.SignInAsync(project, "source", "GoogleUser", new Dictionary<string, string> { ["Input.GoogleClientId"] = googleClient });
        await admin.SignInAsync(project, "destination", "Microsoft365User", Microsoft365(secret: ""));
        var again = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Id == project));
        Assert.Equal((SignInMethod.GoogleUser, stored.SourceSignIn.ProtectedSecret), (again.SourceSignIn.Method, again.SourceSignIn.ProtectedSecret));
        Assert.Equal((SignInMethod.Microsoft365User, stored.DestinationSignIn.ProtectedSecret), (again.DestinationSignIn.Method, again.DestinationSignIn.ProtectedSecret));
        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
            Assert.False(Encoding.UTF8.GetString(bytes).Contains(googleSecret, StringComparison.Ordinal), $"The secret is in {name} in clear.");
    }
}
