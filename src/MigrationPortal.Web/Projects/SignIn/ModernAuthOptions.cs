namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>The <c>ModernAuth</c> section: how the portal reaches token endpoints (Microsoft 365, Google Workspace).</summary>
public sealed class ModernAuthOptions
{
    public const string Section = "ModernAuth";

    /// <summary>
    /// SHA-256 fingerprints of token-endpoint HTTPS certificates accepted besides those the system trusts: exactly that
    /// certificate, whatever its chain or names. For a private authority (the tests' local token server); empty by default.
    /// </summary>
    public List<string> TrustedCertificateSha256 { get; set; } = [];
}
