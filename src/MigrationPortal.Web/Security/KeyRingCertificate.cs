using System.Security.Cryptography.X509Certificates;

namespace MigrationPortal.Web.Security;

/// <summary>
/// The certificate that encrypts the DataProtection key ring where it is stored (the database). Without one the
/// keys sit in the database as plain XML, and whoever copies the database can decrypt the mailbox passwords in it.
/// Settings: <c>DataProtection:CertificatePath</c> (a .pfx file) and <c>DataProtection:CertificatePassword</c>.
/// Every instance of the portal needs the same certificate.
/// </summary>
public static class KeyRingCertificate
{
    public static X509Certificate2? Load(IConfiguration configuration)
    {
        var path = configuration["DataProtection:CertificatePath"];
        if (string.IsNullOrWhiteSpace(path)) return null;
        if (!File.Exists(path))
            throw new InvalidOperationException($"DataProtection:CertificatePath points to {path}, which does not exist.");
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, configuration["DataProtection:CertificatePassword"]);
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"The certificate in {path} has no private key; the key ring cannot be decrypted with it.");
        return certificate;
    }

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["DataProtection:CertificatePath"]);
}
