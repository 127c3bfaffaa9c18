using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MigrationPortal.Core;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>
/// A Microsoft 365 app's certificate with its private key: read from what the admin uploads (a .pfx/.p12, or a PEM with
/// the certificate and its key), kept as password-less PKCS#12 inside the portal's own encryption, loaded again for MSAL.
/// Keys are ephemeral: never written to a key store on the disk.
/// </summary>
public static class AppCertificate
{
    public const int MaxBytes = 64 * 1024;

    /// <returns>The certificate as base64 PKCS#12 (to be encrypted), its SHA-1 thumbprint and its end of validity.</returns>
    /// <exception cref="DomainValidationException">Not a certificate with an RSA private key, or a wrong password, saying which.</exception>
    public static (string Pkcs12, string Thumbprint, DateTimeOffset NotAfter) Read(byte[] file, string? password)
    {
        using var certificate = Load(file, string.IsNullOrEmpty(password) ? null : password);
        if (!certificate.HasPrivateKey)
            throw new DomainValidationException("The certificate file has no private key: export it with its private key (a .pfx), or give a PEM with both the certificate and the key.");
        using (var rsa = certificate.GetRSAPrivateKey())
            if (rsa is null)
                throw new DomainValidationException("The certificate's key is not an RSA key: Microsoft Entra ID takes RSA certificates for app credentials.");
        return (Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12)), certificate.Thumbprint,
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>The stored certificate, for MSAL to sign with.</summary>
    public static X509Certificate2 Open(string pkcs12) =>
        X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);

    private static X509Certificate2 Load(byte[] file, string? password)
    {
        var text = Encoding.UTF8.GetString(file);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            try
            {
                var pem = password is null ? X509Certificate2.CreateFromPem(text, text) : X509Certificate2.CreateFromEncryptedPem(text, text, password);
                // A key made from PEM lives in memory only; a round trip through PKCS#12 gives a certificate MSAL can use everywhere.
                using (pem)
                    return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw new DomainValidationException(password is null
                    ? "The PEM file must hold the certificate and its unencrypted private key (or give the key's password)."
                    : "The PEM file's certificate and key could not be read with this password.");
            }
        }
        try
        {
            return X509CertificateLoader.LoadPkcs12(file, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException)
        {
            throw new DomainValidationException("The certificate file could not be read: it is not a .pfx/.p12 or PEM certificate, or the password is wrong.");
        }
    }
}
