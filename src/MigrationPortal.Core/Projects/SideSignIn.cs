namespace MigrationPortal.Core.Projects;

/// <summary>How the portal logs in to the mailboxes of one side of a project.</summary>
public enum SignInMethod
{
    /// <summary>Each mailbox's login and password: typed by the admin, or asked of the user through the secure link.</summary>
    Password = 0,

    /// <summary>
    /// Microsoft 365, app-only: an app registration of the tenant with a client secret gets one token (client-credentials
    /// flow) that opens every mailbox the app was granted, logged in by SASL XOAUTH2 as the mailbox.
    /// </summary>
    Microsoft365App = 1,

    /// <summary>
    /// Google Workspace service account with domain-wide delegation: a token per mailbox (JWT bearer grant with the
    /// mailbox as subject), logged in by SASL XOAUTH2.
    /// </summary>
    GoogleServiceAccount = 2,
}

/// <summary>
/// A side's sign-in: passwords (the default) or an admin-authorised token provider. The provider's secret (a client
/// secret, a service account's JSON key) is held as ciphertext from <see cref="IPasswordProtector"/>, like passwords.
/// </summary>
public sealed record SideSignIn
{
    public const int MaxIdLength = 254;
    public const int MaxUrlLength = 500;

    public static readonly SideSignIn Password = new();

    public const string Microsoft365AuthorityHost = "https://login.microsoftonline.com/";
    public const string Microsoft365ImapHost = "outlook.office365.com";
    public const string GoogleImapHost = "imap.gmail.com";

    private SideSignIn() { }

    public SignInMethod Method { get; private init; }

    /// <summary>Microsoft 365: the directory (tenant) id, a GUID or a verified domain such as contoso.onmicrosoft.com.</summary>
    public string? TenantId { get; private init; }

    /// <summary>Microsoft 365: the app registration's application (client) id. Google: the service account's email (client_email).</summary>
    public string? ClientId { get; private init; }

    /// <summary>
    /// The client secret, the app's certificate with its private key (PKCS#12, base64) or the JSON key, as ciphertext;
    /// never the secret itself.
    /// </summary>
    public string? ProtectedSecret { get; private init; }

    /// <summary>Microsoft 365: the app proves itself with a certificate (<see cref="ProtectedSecret"/> holds it) instead of a client secret.</summary>
    public bool UsesCertificate { get; private init; }

    /// <summary>The certificate's SHA-1 thumbprint, as the app registration lists it (40 hex characters); shown, not secret.</summary>
    public string? CertificateThumbprint { get; private init; }

    /// <summary>When the certificate stops being valid: the admin is warned before.</summary>
    public DateTimeOffset? CertificateNotAfter { get; private init; }

    /// <summary>
    /// Where tokens come from, when not the provider's public endpoint: Microsoft 365's authority host (a sovereign cloud),
    /// Google's token URL. Null: the provider's own (for Google, the key's token_uri).
    /// </summary>
    public string? TokenEndpoint { get; private init; }

    /// <summary>Whether this side logs in with tokens instead of per-mailbox passwords.</summary>
    public bool UsesTokens => Method != SignInMethod.Password;

    public static SideSignIn Microsoft365App(string tenantId, string clientId, string protectedSecret, string? authorityHost = null)
    {
        var tenant = Validation.Required(tenantId, "directory (tenant) id", MaxIdLength);
        if (!Guid.TryParse(tenant, out _) && !IsDomain(tenant))
            throw new DomainValidationException(
                $"'{tenant}' is not a directory (tenant) id: give the GUID shown on the app registration's Overview, or the tenant's domain such as contoso.onmicrosoft.com.");
        var client = Validation.Required(clientId, "application (client) id", MaxIdLength);
        if (!Guid.TryParse(client, out var clientGuid))
            throw new DomainValidationException($"'{client}' is not an application (client) id: it is the GUID shown on the app registration's Overview.");
        return new SideSignIn
        {
            Method = SignInMethod.Microsoft365App,
            TenantId = tenant,
            ClientId = clientGuid.ToString(),
            ProtectedSecret = RequiredSecret(protectedSecret),
            TokenEndpoint = OptionalHttpsUrl(authorityHost, "authority host"),
        };
    }

    /// <summary>A Microsoft 365 app that proves itself with a certificate (a signed client assertion) instead of a secret.</summary>
    /// <param name="protectedCertificate">The certificate with its private key, as PKCS#12 in base64, as ciphertext.</param>
    public static SideSignIn Microsoft365AppCertificate(string tenantId, string clientId, string protectedCertificate, string thumbprint,
        DateTimeOffset notAfter, string? authorityHost = null)
    {
        var app = Microsoft365App(tenantId, clientId, protectedCertificate, authorityHost);
        if (thumbprint.Length != 40 || !thumbprint.All(char.IsAsciiHexDigit))
            throw new DomainValidationException("A certificate thumbprint is 40 hexadecimal characters.");
        return app with { UsesCertificate = true, CertificateThumbprint = thumbprint.ToUpperInvariant(), CertificateNotAfter = notAfter };
    }

    /// <param name="serviceAccountEmail">The key's client_email, shown to the admin and used as the JWT issuer.</param>
    public static SideSignIn GoogleServiceAccount(string serviceAccountEmail, string protectedKey, string? tokenUrl = null) => new()
    {
        Method = SignInMethod.GoogleServiceAccount,
        ClientId = Validation.EmailAddress(serviceAccountEmail, "service account's email"),
        ProtectedSecret = RequiredSecret(protectedKey),
        TokenEndpoint = OptionalHttpsUrl(tokenUrl, "token URL"),
    };

    public string Describe() => Method switch
    {
        SignInMethod.Microsoft365App when UsesCertificate => $"Microsoft 365 app {ClientId} in tenant {TenantId} (certificate {CertificateThumbprint})",
        SignInMethod.Microsoft365App => $"Microsoft 365 app {ClientId} in tenant {TenantId}",
        SignInMethod.GoogleServiceAccount => $"Google Workspace service account {ClientId}",
        _ => "Passwords",
    };

    private static string RequiredSecret(string protectedSecret) =>
        string.IsNullOrEmpty(protectedSecret) ? throw new DomainValidationException("The secret is required.") : protectedSecret;

    private static bool IsDomain(string value) =>
        value.Length <= 253 && value.Contains('.') && !value.StartsWith('.') && !value.EndsWith('.')
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    private static string? OptionalHttpsUrl(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var text = value.Trim();
        if (text.Length > MaxUrlLength || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new DomainValidationException($"The {what} must be an https:// address without a query, at most {MaxUrlLength} characters.");
        return uri.AbsoluteUri;
    }
}

/// <summary>Which sides of a project log in with tokens, so that no password is asked or needed for them.</summary>
public readonly record struct TokenSides(bool Source, bool Destination)
{
    public static TokenSides For(MigrationProject project) => new(project.SourceSignIn.UsesTokens, project.DestinationSignIn.UsesTokens);
}
