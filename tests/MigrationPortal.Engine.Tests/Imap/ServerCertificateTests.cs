using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Engine.Tests.Passes;
using MigrationPortal.Fixtures.Dovecot;
using Xunit;

namespace MigrationPortal.Engine.Tests.Imap;

/// <summary>A server with a self-signed certificate (implicit TLS and STARTTLS), and one that offers no STARTTLS at all.</summary>
public sealed class SelfSignedServers : IAsyncLifetime
{
    public DovecotServer SelfSigned { get; } = new() { Tls = true };
    public DovecotServer WithoutStartTls { get; } = new();

    public Task InitializeAsync() => Task.WhenAll(SelfSigned.InitializeAsync(), WithoutStartTls.InitializeAsync());

    public async Task DisposeAsync()
    {
        await SelfSigned.DisposeAsync();
        await WithoutStartTls.DisposeAsync();
    }
}

/// <summary>TLS is verified: a certificate the system does not trust is refused until the admin pins exactly that one.</summary>
public sealed partial class ServerCertificateTests(SelfSignedServers servers) : IClassFixture<SelfSignedServers>
{
    private const string Password = "correct horse";

    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(5));

    private DovecotServer Dovecot => servers.SelfSigned;

    [Theory]
    [InlineData(TlsMode.Tls)]
    [InlineData(TlsMode.StartTls)]
    public async Task ConnectAsync_SelfSignedNotPinned_RefusedShowingItsFingerprint(TlsMode security)
    {
        var login = await NewUserAsync(Dovecot);

        var e = await Assert.ThrowsAsync<ImapConnectException>(() => _connector.ConnectAsync(Endpoint(security), new ImapLogin(login, Password), default));

        Assert.Equal(ImapConnectFailure.Unreachable, e.Failure);
        Assert.Contains($"The TLS certificate of 127.0.0.1:{PortFor(security)} was not accepted.", e.Message);
        Assert.Contains("self-signed", e.Message);
        Assert.Equal(Dovecot.CertificateSha256, FingerprintIn(e.Message));
        Assert.DoesNotContain("pin did not match", e.Message);
        Assert.DoesNotContain($"Login: user=<{login}>", Dovecot.ReadLog());
    }

    [Theory]
    [InlineData(TlsMode.Tls)]
    [InlineData(TlsMode.StartTls)]
    public async Task ConnectAsync_FingerprintFromTheRefusalPinned_LogsInOverTls(TlsMode security)
    {
        var login = await NewUserAsync(Dovecot);
        var refused = await Assert.ThrowsAsync<ImapConnectException>(() => _connector.ConnectAsync(Endpoint(security), new ImapLogin(login, Password), default));

        // What the admin does: paste the fingerprint shown in the error into the project's pin field.
        var pinned = Endpoint(security, pin: Format(FingerprintIn(refused.Message)));
        await using var session = await _connector.ConnectAsync(pinned, new ImapLogin(login, Password), default);

        Assert.True(((ImapClient)session.Store).IsSecure);
        await session.Store.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(0, session.Store.Inbox.Count);
    }

    [Theory]
    [InlineData(TlsMode.Tls)]
    [InlineData(TlsMode.StartTls)]
    public async Task ConnectAsync_AnotherCertificatePinned_RefusedSayingThePinDidNotMatch(TlsMode security)
    {
        var login = await NewUserAsync(Dovecot);
        var otherPin = Convert.ToHexString(SHA256.HashData("another server's certificate"u8));

        var e = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAsync(Endpoint(security, otherPin), new ImapLogin(login, Password), default));

        Assert.Equal(ImapConnectFailure.Unreachable, e.Failure);
        Assert.Contains("the pin did not match", e.Message);
        Assert.Contains(Format(otherPin), e.Message);
        Assert.Contains(Format(Dovecot.CertificateSha256), e.Message);
        Assert.DoesNotContain($"Login: user=<{login}>", Dovecot.ReadLog());
    }

    [Fact]
    public async Task ConnectAsync_StartTlsNotOffered_FailsWithoutSendingTheLogin()
    {
        var plain = servers.WithoutStartTls;
        var login = await NewUserAsync(plain);
        var disconnectsBefore = LoginlessDisconnects(plain.ReadLog());

        var e = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAsync(new ImapEndpoint(plain.Host, plain.Port, TlsMode.StartTls), new ImapLogin(login, Password), default));

        Assert.Equal(ImapConnectFailure.Unreachable, e.Failure);
        Assert.Contains($"127.0.0.1:{plain.Port} does not offer STARTTLS", e.Message);
        // Dovecot logs each disconnect without a login attempt; once it has logged this one, the log shows what was tried.
        var log = await WaitForLogAsync(plain, log => LoginlessDisconnects(log) > disconnectsBefore);
        Assert.DoesNotContain($"user=<{login}>", log);
    }

    // The APPEND writer is the engine's own IMAP connection (raw bytes, not MailKit): the same rules, tested on their own.

    [Theory]
    [InlineData(TlsMode.Tls)]
    [InlineData(TlsMode.StartTls)]
    public async Task ConnectAppendWriterAsync_SelfSignedNotPinned_RefusedShowingItsFingerprintBeforeTheLogin(TlsMode security)
    {
        var login = await NewUserAsync(Dovecot);

        var e = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAppendWriterAsync(Endpoint(security), new ImapLogin(login, Password), default));

        Assert.Equal(ImapConnectFailure.Unreachable, e.Failure);
        Assert.Contains($"The TLS certificate of 127.0.0.1:{PortFor(security)} was not accepted.", e.Message);
        Assert.Equal(Dovecot.CertificateSha256, FingerprintIn(e.Message));
        Assert.DoesNotContain($"user=<{login}>", Dovecot.ReadLog());
    }

    [Theory]
    [InlineData(TlsMode.Tls)]
    [InlineData(TlsMode.StartTls)]
    public async Task ConnectAppendWriterAsync_Pinned_LogsInOverTls(TlsMode security)
    {
        var login = await NewUserAsync(Dovecot);

        await using var writer = await _connector.ConnectAppendWriterAsync(
            Endpoint(security, Dovecot.CertificateSha256), new ImapLogin(login, Password), default);

        var loginLine = Assert.Single((await WaitForLogAsync(Dovecot, log => log.Contains($"Login: user=<{login}>"))).Split('\n'),
            line => line.Contains($"Login: user=<{login}>"));
        Assert.Contains("TLS", loginLine);
    }

    [Fact]
    public async Task ConnectAppendWriterAsync_StartTlsNotOffered_FailsWithoutSendingTheLogin()
    {
        var plain = servers.WithoutStartTls;
        var login = await NewUserAsync(plain);

        var e = await Assert.ThrowsAsync<ImapConnectException>(() =>
            _connector.ConnectAppendWriterAsync(new ImapEndpoint(plain.Host, plain.Port, TlsMode.StartTls), new ImapLogin(login, Password), default));

        Assert.Equal(ImapConnectFailure.Unreachable, e.Failure);
        Assert.Contains($"127.0.0.1:{plain.Port} does not offer STARTTLS", e.Message);
        Assert.DoesNotContain($"user=<{login}>", plain.ReadLog());
    }

    [Fact]
    public async Task Run_DestinationSelfSigned_RefusedNamingTheDestinationThenCopiedByteExactOncePinned()
    {
        // Source: plain IMAP on the server without TLS; destination: the self-signed server over STARTTLS.
        var source = servers.WithoutStartTls;
        var login = await NewUserAsync(source);
        await Dovecot.AddUserAsync(login, Password);
        byte[][] messages =
        [
            "From: ada@example.org\r\nSubject: one\r\nMessage-ID: <one@example.org>\r\n\r\nover TLS\r\n"u8.ToArray(),
            "From: ada@example.org\nSubject: bare LF\n\nno Message-ID, bare line ends\n"u8.ToArray(),
        ];
        foreach (var message in messages)
            await source.SaveRawAsync(login, "INBOX", message);
        var sourceSide = new MigrationSide(new ImapEndpoint(source.Host, source.Port, TlsMode.None), new ImapLogin(login, Password));
        var migration = new MailboxMigration(_connector, new RetryPolicy { MaxRetries = 0 });

        var refused = await Assert.ThrowsAsync<MigrationSideException>(() => migration.RunAsync(sourceSide,
            new MigrationSide(Endpoint(TlsMode.StartTls), new ImapLogin(login, Password)), new MemoryCheckpoints(), PassOptions.Full, default, default));
        Assert.False(refused.IsSource);
        Assert.Contains("was not accepted", refused.Message);

        var pinned = new MigrationSide(Endpoint(TlsMode.StartTls, Dovecot.CertificateSha256), new ImapLogin(login, Password));
        var result = await migration.RunAsync(sourceSide, pinned, new MemoryCheckpoints(), PassOptions.Full, default, default);

        Assert.Equal(2, result.MessagesCopied);
        // Byte for byte what the source serves (Dovecot serves the stored bare LFs as CRLF, so that and not the file).
        Assert.Equal(await InboxBytesAsync(sourceSide), await InboxBytesAsync(pinned));
    }

    private async Task<List<byte[]>> InboxBytesAsync(MigrationSide side)
    {
        await using var session = await _connector.ConnectAsync(side.Endpoint, await side.LoginSource(default), default);
        await session.Store.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var messages = new List<byte[]>();
        await ((IImapFolder)session.Store.Inbox).GetStreamsAsync(0, -1, async (_, _, _, stream, ct) =>
        {
            using var bytes = new MemoryStream();
            await stream.CopyToAsync(bytes, ct);
            messages.Add(bytes.ToArray());
        });
        Assert.Equal(2, messages.Count);
        return messages;
    }

    [Fact]
    public void For_PinnedEndpoint_RefusesEvenACertificateTheSystemTrusts()
    {
        using var other = SelfSignedCertificate("CN=imap.example.org");
        var pinned = new ImapEndpoint("imap.example.org", 993, TlsMode.Tls, Dovecot.CertificateSha256);

        var accepted = ServerCertificates.For(pinned)(this, other, null, SslPolicyErrors.None);

        Assert.False(accepted);
        Assert.Contains("the pin did not match", ServerCertificates.DescribeRefusal(other, SslPolicyErrors.None, pinned));
    }

    [Fact]
    public void DescribeRefusal_NameMismatch_NamesTheHostAndTheCertificatesNames()
    {
        using var certificate = SelfSignedCertificate("CN=mail.example.net", "mail.example.net");
        var endpoint = new ImapEndpoint("imap.example.org", 993, TlsMode.Tls);

        var reason = ServerCertificates.DescribeRefusal(certificate, SslPolicyErrors.RemoteCertificateNameMismatch, endpoint);

        Assert.Contains("It is not issued for imap.example.org (it names mail.example.net).", reason);
        Assert.Contains(Format(certificate.GetCertHashString(HashAlgorithmName.SHA256)), reason);
    }

    private ImapEndpoint Endpoint(TlsMode security, string? pin = null) => new(Dovecot.Host, PortFor(security), security, pin);

    private int PortFor(TlsMode security) => security == TlsMode.Tls ? Dovecot.TlsPort : Dovecot.Port;

    private static async Task<string> NewUserAsync(DovecotServer server)
    {
        var login = "tls" + Guid.NewGuid().ToString("N")[..8];
        await server.AddUserAsync(login, Password);
        return login;
    }

    /// <summary>The fingerprint the message shows, as 64 hex characters.</summary>
    private static string FingerprintIn(string message)
    {
        var match = ShownFingerprint().Match(message);
        Assert.True(match.Success, $"No fingerprint in: {message}");
        return match.Groups[1].Value.Replace(":", "");
    }

    private static string Format(string hex) => string.Join(':', hex.Chunk(2).Select(pair => new string(pair)));

    private static int LoginlessDisconnects(string log) => Regex.Count(log, @"imap-login: Info: Disconnected.*\(no auth attempts");

    private static async Task<string> WaitForLogAsync(DovecotServer server, Func<string, bool> done)
    {
        for (var i = 0; i < 50; i++)
        {
            var log = server.ReadLog();
            if (done(log))
                return log;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The Dovecot log did not show the disconnect:\n{server.ReadLog()}");
    }

    private static X509Certificate2 SelfSignedCertificate(string subject, string? dnsName = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dnsName is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dnsName);
            request.CertificateExtensions.Add(names.Build());
        }
        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
    }

    [GeneratedRegex("SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})")]
    private static partial Regex ShownFingerprint();
}
