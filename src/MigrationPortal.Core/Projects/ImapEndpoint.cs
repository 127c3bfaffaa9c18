namespace MigrationPortal.Core.Projects;

public enum TlsMode
{
    None = 0,
    StartTls = 1,
    Tls = 2,
}

/// <summary>Where one side of a migration lives: an IMAP server reachable from the portal.</summary>
public sealed record ImapEndpoint
{
    public const int MaxHostLength = 253;

    /// <summary>A SHA-256 fingerprint as stored: 64 uppercase hexadecimal characters.</summary>
    public const int CertificateSha256Length = 64;

    /// <param name="certificateSha256">
    /// The one certificate to accept instead of the system's validation, for a server with a self-signed certificate:
    /// its SHA-256 fingerprint, in any case, with or without colons or spaces between the bytes. Null or blank: none.
    /// </param>
    public ImapEndpoint(string host, int port, TlsMode security, string? certificateSha256 = null)
    {
        host = host?.Trim() ?? "";
        if (host.Length == 0)
            throw new DomainValidationException("The IMAP host is required.");
        if (host.Length > MaxHostLength || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/'))
            throw new DomainValidationException($"'{host}' is not a valid host name.");
        if (port is < 1 or > 65535)
            throw new DomainValidationException("The IMAP port must be between 1 and 65535.");
        if (!Enum.IsDefined(security))
            throw new DomainValidationException("Unknown TLS mode.");
        var pin = NormaliseCertificateSha256(certificateSha256);
        if (pin is not null && security == TlsMode.None)
            throw new DomainValidationException(
                "A pinned certificate needs TLS or STARTTLS: with security None there is no certificate to check. Choose a TLS mode or clear the pin.");
        Host = host;
        Port = port;
        Security = security;
        CertificateSha256 = pin;
    }

    private ImapEndpoint() { Host = ""; }

    public string Host { get; private init; }
    public int Port { get; private init; }
    public TlsMode Security { get; private init; }

    /// <summary>The pinned certificate's SHA-256 fingerprint (64 uppercase hex characters), or null when the system validates.</summary>
    public string? CertificateSha256 { get; private init; }

    public override string ToString() => CertificateSha256 is null ? $"{Host}:{Port} ({Security})" : $"{Host}:{Port} ({Security}, pinned certificate)";

    /// <summary>Whether <paramref name="value"/> is a fingerprint as <see cref="NormaliseCertificateSha256"/> takes it (not blank).</summary>
    public static bool IsCertificateSha256(string? value)
    {
        try
        {
            return NormaliseCertificateSha256(value) is not null;
        }
        catch (DomainValidationException)
        {
            return false;
        }
    }

    /// <returns>The fingerprint as stored, or null for null or blank input.</returns>
    /// <exception cref="DomainValidationException">Not 32 bytes written in hexadecimal.</exception>
    public static string? NormaliseCertificateSha256(string? fingerprint)
    {
        if (string.IsNullOrWhiteSpace(fingerprint))
            return null;
        // Separators as fingerprints are usually shown: openssl and browsers put colons between the bytes, some tools spaces.
        var hex = new string(fingerprint.Where(c => c is not (':' or ' ' or '\t')).ToArray()).ToUpperInvariant();
        if (hex.Length != CertificateSha256Length || !hex.All(char.IsAsciiHexDigit))
            throw new DomainValidationException(
                "The pinned certificate must be a SHA-256 fingerprint: 64 hexadecimal characters (0-9, A-F), colons or spaces between them allowed.");
        return hex;
    }
}
