using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Verification;

namespace MigrationPortal.Engine.Tests.Verification;

// Failures Dovecot is not configured to produce, against real loopback sockets.
public sealed class ImapCredentialVerifierTransportTests
{
    [Fact]
    public async Task VerifyAsync_ServerNeverGreets_ReturnsUnreachableAfterTimeout()
    {
        using var listener = Listen();
        using var accepted = AcceptAndHoldAsync(listener, greet: null);
        var verifier = new ImapCredentialVerifier(TimeSpan.FromMilliseconds(300));

        var result = await verifier.VerifyAsync(Endpoint(listener, TlsMode.None), "someone", "secret", CancellationToken.None);

        Assert.Equal(CredentialCheckOutcome.Unreachable, result.Outcome);
        Assert.Contains($"127.0.0.1:{Port(listener)} did not answer within 0.3 s", result.ServerMessage);
    }

    [Fact]
    public async Task VerifyAsync_CallerCancels_Throws()
    {
        using var listener = Listen();
        using var accepted = AcceptAndHoldAsync(listener, greet: null);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var verifier = new ImapCredentialVerifier(TimeSpan.FromSeconds(30));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => verifier.VerifyAsync(Endpoint(listener, TlsMode.None), "someone", "secret", cancel.Token));
    }

    [Fact]
    public async Task VerifyAsync_SelfSignedCertificate_ReturnsUnreachableNamingCertificate()
    {
        using var certificate = SelfSignedCertificate();
        using var listener = Listen();
        using var accepted = AcceptAndHoldAsync(listener, greet: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n", certificate);
        var verifier = new ImapCredentialVerifier(TimeSpan.FromSeconds(5));

        var result = await verifier.VerifyAsync(Endpoint(listener, TlsMode.Tls), "someone", "secret", CancellationToken.None);

        Assert.Equal(CredentialCheckOutcome.Unreachable, result.Outcome);
        Assert.Contains($"TLS certificate of 127.0.0.1:{Port(listener)} was not accepted", result.ServerMessage);
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private static ImapEndpoint Endpoint(TcpListener listener, TlsMode security) => new("127.0.0.1", Port(listener), security);

    // Accepts one connection, optionally does TLS and writes a greeting, then holds the connection open
    // until disposed (without answering anything else).
    private static HeldConnection AcceptAndHoldAsync(TcpListener listener, string? greet, X509Certificate2? certificate = null)
    {
        var stop = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                Stream stream = client.GetStream();
                if (certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(certificate);
                    stream = tls;
                }
                if (greet is not null)
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(greet), stop.Token);
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
            {
                // The client gave up or the test ended.
            }
        });
        return new HeldConnection(stop, task);
    }

    private sealed class HeldConnection(CancellationTokenSource stop, Task task) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            task.Wait(TimeSpan.FromSeconds(5));
            stop.Dispose();
        }
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = TimeProvider.System.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        // Through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
