using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Imap;

/// <summary>
/// Which server certificates an endpoint accepts, for every connection the engine opens (MailKit's and a raw
/// SslStream alike), and the words for one that was refused. Nothing else in the engine decides this: no other
/// code may skip validation.
/// </summary>
public static class ServerCertificates
{
    private const int MaxNameLength = 200;

    /// <summary>
    /// The validation for one endpoint: the system's (chain, host name, as SslStream/MailKit do by default) when nothing
    /// is pinned; when a SHA-256 fingerprint is pinned, exactly the certificate with that fingerprint is accepted
    /// (whatever its chain or names: the admin vouched for that certificate), and nothing else, not even one the
    /// system trusts.
    /// </summary>
    public static RemoteCertificateValidationCallback For(ImapEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.CertificateSha256 is not { } pin)
            return static (_, certificate, _, errors) => certificate is not null && errors == SslPolicyErrors.None;
        return (_, certificate, _, _) => certificate is not null && string.Equals(Sha256(certificate), pin, StringComparison.Ordinal);
    }

    /// <summary>
    /// The validation for an HTTPS client the portal points at several servers (autoconfig hosts, token endpoints): the
    /// system's, and besides it exactly the certificates whose SHA-256 fingerprints an operator listed, as a pin field
    /// takes them (a private server's certificate, whatever its chain or names).
    /// </summary>
    /// <exception cref="Core.DomainValidationException">A listed value is not a fingerprint.</exception>
    public static RemoteCertificateValidationCallback SystemOrListed(IEnumerable<string> fingerprints)
    {
        var listed = fingerprints.Select(ImapEndpoint.NormaliseCertificateSha256).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return (_, certificate, _, errors) => certificate is not null && (errors == SslPolicyErrors.None || listed.Contains(Sha256(certificate)));
    }

    /// <summary>
    /// Why a certificate was refused, for the admin, including the presented certificate's SHA-256 fingerprint formatted
    /// so it can be pasted into the pin field.
    /// </summary>
    public static string DescribeRefusal(X509Certificate? certificate, SslPolicyErrors errors, ImapEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "The server presented no certificate.";

        var fingerprint = Sha256(certificate);
        using var loaded = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var details = loaded ?? (X509Certificate2)certificate;
        var issuer = IsSelfSigned(details) ? "itself" : $"\"{Shorten(details.Issuer)}\"";
        var presented = string.Create(CultureInfo.InvariantCulture,
            $"Presented certificate: \"{Shorten(details.Subject)}\", issued by {issuer}, valid {details.NotBefore.ToUniversalTime():yyyy-MM-dd} to {details.NotAfter.ToUniversalTime():yyyy-MM-dd}, SHA-256 fingerprint {Format(fingerprint)}.");

        if (endpoint.CertificateSha256 is { } pin)
            return $"It is not the pinned certificate: the pin did not match (pinned SHA-256 {Format(pin)}). {presented} " +
                "If the server's certificate was replaced on purpose, pin the new fingerprint on the project.";

        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            reasons.Add($"It is not issued for {endpoint.Host}{NamesIn(details)}.");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            reasons.Add(IsSelfSigned(details)
                ? "It is self-signed, and this system does not trust it."
                : "It does not lead to an authority this system trusts (an unknown or private authority, a missing intermediate certificate, or it expired or was revoked).");
        if (reasons.Count == 0)
            reasons.Add("It was refused.");
        return $"{string.Join(' ', reasons)} {presented} " +
            "Only if this server is meant to have a self-signed certificate, and this is its fingerprint, pin it on the project.";
    }

    /// <summary>The fingerprint as uppercase hex pairs joined by colons, as openssl prints it; the pin field takes it as is.</summary>
    public static string Format(string sha256Hex) =>
        string.Join(':', Enumerable.Range(0, sha256Hex.Length / 2).Select(i => sha256Hex.Substring(i * 2, 2)));

    private static string Sha256(X509Certificate certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256).ToUpperInvariant();

    private static bool IsSelfSigned(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static string NamesIn(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(san => san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(ip => ip.ToString())))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(10)
            .ToList();
        return names.Count == 0 ? "" : $" (it names {Shorten(string.Join(", ", names))})";
    }

    // A server chooses its certificate's names: keep what it can put into a message bounded.
    private static string Shorten(string text) => text.Length <= MaxNameLength ? text : text[..MaxNameLength] + "…";
}
