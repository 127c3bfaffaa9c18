using MigrationPortal.Core.Projects;

namespace MigrationPortal.Core.Tests.Projects;

/// <summary>The pinned certificate on an endpoint: what an admin may paste, how it is kept, and what is refused.</summary>
public sealed class CertificatePinTests
{
    private const string Fingerprint = "3A7F0C9B1E2D4F6A8B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F708";

    [Theory]
    [InlineData(Fingerprint)]
    [InlineData("3a7f0c9b1e2d4f6a8b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708")]
    [InlineData("3A:7F:0C:9B:1E:2D:4F:6A:8B:0C:1D:2E:3F:40:51:62:73:84:95:A6:B7:C8:D9:E0:F1:A2:B3:C4:D5:E6:F7:08")]
    [InlineData("3a 7f 0c 9b 1e 2d 4f 6a 8b 0c 1d 2e 3f 40 51 62 73 84 95 a6 b7 c8 d9 e0 f1 a2 b3 c4 d5 e6 f7 08")]
    [InlineData("  3A7F0C9B1E2D4F6A8B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F708\t")]
    public void Endpoint_PinInAnyUsualForm_StoredAs64UppercaseHex(string pasted)
    {
        var endpoint = new ImapEndpoint("imap.source.test", 993, TlsMode.Tls, pasted);

        Assert.Equal(Fingerprint, endpoint.CertificateSha256);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Endpoint_NoPin_SystemValidation(string? pasted)
    {
        var endpoint = new ImapEndpoint("imap.source.test", 993, TlsMode.StartTls, pasted);

        Assert.Null(endpoint.CertificateSha256);
        Assert.Equal("imap.source.test:993 (StartTls)", endpoint.ToString());
    }

    [Theory]
    [InlineData("3A7F0C9B1E2D4F6A8B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F7")]          // 31 bytes
    [InlineData("3A7F0C9B1E2D4F6A8B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F70800")]      // 33 bytes
    [InlineData("3A7F0C9B1E2D4F6A8B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F7G8")]        // not hex
    [InlineData("3A7F0C9B1E2D4F6A8B0C1D2E3F40516273849")]                                     // SHA-1 length
    [InlineData("3A-7F-0C-9B-1E-2D-4F-6A-8B-0C-1D-2E-3F-40-51-62-73-84-95-A6-B7-C8-D9-E0-F1-A2-B3-C4-D5-E6-F7-08")]
    [InlineData("SHA256 Fingerprint=3A:7F")]
    public void Endpoint_PinNotASha256Fingerprint_RefusedWithAClearMessage(string pasted)
    {
        var error = Assert.Throws<DomainValidationException>(() => new ImapEndpoint("imap.source.test", 993, TlsMode.Tls, pasted));

        Assert.Equal("The pinned certificate must be a SHA-256 fingerprint: 64 hexadecimal characters (0-9, A-F), colons or spaces between them allowed.", error.Message);
    }

    [Fact]
    public void Endpoint_PinWithoutTls_Refused()
    {
        var error = Assert.Throws<DomainValidationException>(() => new ImapEndpoint("imap.source.test", 143, TlsMode.None, Fingerprint));

        Assert.Contains("A pinned certificate needs TLS or STARTTLS", error.Message);
    }

    [Fact]
    public void Endpoint_Pinned_ShownAsPinnedWithoutTheFingerprint()
    {
        var endpoint = new ImapEndpoint("imap.source.test", 993, TlsMode.Tls, Fingerprint);

        Assert.Equal("imap.source.test:993 (Tls, pinned certificate)", endpoint.ToString());
    }

    [Fact]
    public void Endpoint_SamePinWrittenDifferently_EqualEndpoints()
    {
        var colons = string.Join(':', Enumerable.Range(0, 32).Select(i => Fingerprint.Substring(i * 2, 2).ToLowerInvariant()));

        Assert.Equal(new ImapEndpoint("imap.source.test", 993, TlsMode.Tls, Fingerprint), new ImapEndpoint("imap.source.test", 993, TlsMode.Tls, colons));
        Assert.NotEqual(new ImapEndpoint("imap.source.test", 993, TlsMode.Tls, Fingerprint), new ImapEndpoint("imap.source.test", 993, TlsMode.Tls));
    }
}
