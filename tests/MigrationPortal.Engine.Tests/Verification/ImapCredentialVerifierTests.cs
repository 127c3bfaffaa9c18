using System.Net;
using System.Net.Sockets;
using System.Text;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Verification;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Verification;

public sealed class ImapCredentialVerifierTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    // Non-ASCII in several planes, with spaces a careless form would trim.
    private const string UnicodePassword = "  Pässwörd ✓ 密码 🔑  ";

    private readonly ImapCredentialVerifier _verifier = new(TimeSpan.FromSeconds(5));

    [Fact]
    public async Task VerifyAsync_CorrectPassword_ReturnsAccepted()
    {
        var login = await NewUserAsync("correct horse");

        var result = await VerifyAsync(login, "correct horse");

        AssertOutcome(CredentialCheckOutcome.Accepted, result);
        Assert.Null(result.ServerMessage);
    }

    [Fact]
    public async Task VerifyAsync_WrongPassword_ReturnsRejected()
    {
        var login = await NewUserAsync("correct horse");

        var result = await VerifyAsync(login, "battery staple");

        AssertOutcome(CredentialCheckOutcome.Rejected, result);
        Assert.DoesNotContain("battery staple", result.ServerMessage ?? "");
    }

    [Fact]
    public async Task VerifyAsync_UnknownUser_ReturnsRejected()
    {
        await NewUserAsync("correct horse");

        var result = await VerifyAsync("nobody" + Guid.NewGuid().ToString("N")[..8], "correct horse");

        AssertOutcome(CredentialCheckOutcome.Rejected, result);
    }

    [Fact]
    public async Task VerifyAsync_UnicodePasswordWithSurroundingSpaces_ReturnsAccepted()
    {
        var login = await NewUserAsync(UnicodePassword);

        var result = await VerifyAsync(login, UnicodePassword);

        AssertOutcome(CredentialCheckOutcome.Accepted, result);
    }

    [Fact]
    public async Task VerifyAsync_UnicodePasswordTrimmed_ReturnsRejected()
    {
        var login = await NewUserAsync(UnicodePassword);

        var result = await VerifyAsync(login, UnicodePassword.Trim());

        AssertOutcome(CredentialCheckOutcome.Rejected, result);
    }

    [Fact]
    public async Task VerifyAsync_UnicodePasswordInOtherNormalizationForm_ReturnsRejected()
    {
        var login = await NewUserAsync(UnicodePassword.Normalize(NormalizationForm.FormC));
        var decomposed = UnicodePassword.Normalize(NormalizationForm.FormD);
        Assert.NotEqual(UnicodePassword.Normalize(NormalizationForm.FormC), decomposed);

        var result = await VerifyAsync(login, decomposed);

        AssertOutcome(CredentialCheckOutcome.Rejected, result);
    }

    [Fact]
    public async Task VerifyAsync_NothingListening_ReturnsUnreachableNamingEndpoint()
    {
        var port = FreeLoopbackPort();

        var result = await _verifier.VerifyAsync(new ImapEndpoint("127.0.0.1", port, TlsMode.None), "someone", "secret", CancellationToken.None);

        AssertOutcome(CredentialCheckOutcome.Unreachable, result);
        Assert.Contains($"127.0.0.1:{port}", result.ServerMessage);
        Assert.Contains("refused", result.ServerMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task VerifyAsync_TlsAgainstPlainTextPort_ReturnsUnreachable()
    {
        var login = await NewUserAsync("correct horse");

        var result = await VerifyAsync(login, "correct horse", TlsMode.Tls);

        AssertOutcome(CredentialCheckOutcome.Unreachable, result);
        Assert.Contains($"{dovecot.Host}:{dovecot.Port}", result.ServerMessage);
        Assert.Contains("TLS", result.ServerMessage);
    }

    [Fact]
    public async Task VerifyAsync_StartTlsAgainstServerWithoutStartTls_ReturnsUnreachable()
    {
        var login = await NewUserAsync("correct horse");

        var result = await VerifyAsync(login, "correct horse", TlsMode.StartTls);

        AssertOutcome(CredentialCheckOutcome.Unreachable, result);
        Assert.Contains("STARTTLS", result.ServerMessage);
    }

    private async Task<string> NewUserAsync(string password)
    {
        var login = "user" + Guid.NewGuid().ToString("N")[..12];
        await dovecot.AddUserAsync(login, password);
        return login;
    }

    private Task<CredentialCheckResult> VerifyAsync(string login, string password, TlsMode security = TlsMode.None) =>
        _verifier.VerifyAsync(new ImapEndpoint(dovecot.Host, dovecot.Port, security), login, password, CancellationToken.None);

    private void AssertOutcome(CredentialCheckOutcome expected, CredentialCheckResult actual) =>
        Assert.True(actual.Outcome == expected, $"Expected {expected}, got {actual}.\nDovecot log:\n{dovecot.ReadLog()}");

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
