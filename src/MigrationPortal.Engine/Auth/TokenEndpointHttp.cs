using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// The HTTP handler token sources talk to their token endpoint through. Certificates follow the rule of the portal's IMAP
/// connections: the system's validation (chain, name, revocation), or, when fingerprints are pinned, exactly those
/// certificates and no other (an identity provider on an internal host with a self-signed certificate, or a test's).
/// </summary>
public static class TokenEndpointHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <param name="trustedSha256">
    /// SHA-256 fingerprints as an admin pastes them (colons, spaces and case do not matter), accepted besides what the
    /// system trusts: one portal reaches Microsoft's and Google's public endpoints and a private one (an internal
    /// authority, the tests' local server) alike. Empty: the system's trust alone.
    /// </param>
    /// <exception cref="Core.DomainValidationException">A fingerprint is not 64 hexadecimal characters.</exception>
    public static SocketsHttpHandler Handler(IReadOnlyCollection<string>? trustedSha256 = null)
    {
        return new SocketsHttpHandler
        {
            // A token endpoint answers where it is asked; a redirect to elsewhere would carry the secret or assertion along.
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = Timeout,
            // DNS changes of the provider are picked up: a handler lives as long as its token source.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.Online,
                RemoteCertificateValidationCallback = trustedSha256 is null or { Count: 0 } ? null : ServerCertificates.SystemOrListed(trustedSha256),
            },
        };
    }
}
