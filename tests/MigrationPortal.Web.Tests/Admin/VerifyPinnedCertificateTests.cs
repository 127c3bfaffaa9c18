using System.Text.RegularExpressions;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>The admin's journey with a self-signed server: Verify Credentials refuses it, the fingerprint from the error is pinned, and it is accepted.</summary>
public sealed partial class VerifyPinnedCertificateTests(VerifyPinnedCertificateTests.SelfSignedServer server) : IClassFixture<VerifyPinnedCertificateTests.SelfSignedServer>
{
    public sealed class SelfSignedServer : IAsyncLifetime
    {
        public DovecotServer Dovecot { get; } = new() { Tls = true };
        public Task InitializeAsync() => Dovecot.InitializeAsync();
        public Task DisposeAsync() => Dovecot.DisposeAsync();
    }

    [Fact]
    public async Task VerifyCredentials_SelfSignedRefusedThenPinnedFromTheError_Accepted()
    {
        var dovecot = server.Dovecot;
        const string email = "ada@example.org", password = "Src-Passw0rd";
        await dovecot.AddUserAsync(email, password);
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync("Self-signed", (dovecot.Host, dovecot.TlsPort, "Tls"), (dovecot.Host, dovecot.Port, "StartTls"));
        var mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);

        var refused = AdminPages.Report(await admin.WaitForReportAsync(await admin.ActAsync(project, "Verify Credentials", [mailbox])));

        Assert.Contains("refused for 1", refused);
        Assert.Contains($"The TLS certificate of 127.0.0.1:{dovecot.TlsPort} was not accepted. It is self-signed", refused);
        var shown = ShownFingerprint().Match(refused);
        Assert.True(shown.Success, refused);
        Assert.Equal(dovecot.CertificateSha256, shown.Groups[1].Value.Replace(":", ""));

        // Both sides are the same server: the same fingerprint is pasted into both pin fields.
        var edit = await admin.Client.GetAsync($"/Admin/Projects/Edit/{project}");
        await admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string>
        {
            ["Input.SourceCertificateSha256"] = shown.Groups[1].Value,
            ["Input.DestinationCertificateSha256"] = shown.Groups[1].Value,
        });
        var accepted = AdminPages.Report(await admin.WaitForReportAsync(await admin.ActAsync(project, "Verify Credentials", [mailbox])));

        Assert.Contains("Verify Credentials: applied to 1 mailbox", accepted);
        Assert.DoesNotContain("not accepted", accepted);
    }

    [GeneratedRegex("SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})")]
    private static partial Regex ShownFingerprint();
}
