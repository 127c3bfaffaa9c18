using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

public sealed class KeyRingEncryptionTests
{
    [Fact]
    public async Task KeyRing_CertificateConfigured_IsStoredEncryptedAndStillDecryptsPasswords()
    {
        var pfx = Path.Combine(Path.GetTempPath(), $"keyring-{Guid.NewGuid():N}.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=MigrationPortal key ring (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-pass"));
        }
        try
        {
            await using var portal = new PortalFactory(new Dictionary<string, string?>
            {
                ["DataProtection:CertificatePath"] = pfx,
                ["DataProtection:CertificatePassword"] = "pfx-pass",
            });
            var admin = AdminPages.Open(portal);
            await admin.LoginAsync();
            var project = await admin.CreateProjectAsync();
            await admin.AddMailboxAsync(project, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");

            var keys = await portal.WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml).ToListAsync());
            Assert.NotEmpty(keys);
            Assert.All(keys, xml =>
            {
                Assert.Contains("encryptedSecret", xml);
                Assert.DoesNotContain("<masterKey", xml);
            });
            Assert.DoesNotContain(portal.LogLines, l => l.Contains("key ring is stored unencrypted"));
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    [Fact]
    public async Task KeyRing_NoCertificate_StartupLogWarnsThatTheKeysAreUnencrypted()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);

        await admin.LoginAsync();

        Assert.Contains(portal.LogLines, l => l.StartsWith("Warning") && l.Contains("key ring is stored unencrypted"));
    }
}
