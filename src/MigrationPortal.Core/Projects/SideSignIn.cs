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

    /// <summary>
    /// Microsoft 365, each user's own sign-in: the user presses "Sign in with Microsoft" on the secure form (authorization
    /// code with PKCE for the admin's app registration, delegated IMAP.AccessAsUser.All), and the portal keeps the grant.
    /// </summary>
    Microsoft365User = 3,

    /// <summary>Google, each user's own sign-in: "Sign in with Google" on the secure form for the admin's OAuth client.</summary>
    GoogleUser = 4,
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

    /// <summary>
    /// Google, each user's own sign-in: where the browser is sent to sign in, when not Google's own. (Microsoft's is
    /// under <see cref="TokenEndpoint"/>'s authority host.)
    /// </summary>
    public string? AuthorizationEndpoint { get; private init; }

    /// <summary>Whether this side logs in with tokens instead of per-mailbox passwords.</summary>
    public bool UsesTokens => Method != SignInMethod.Password;

    /// <summary>Whether the admin's app or service account opens every mailbox: nobody is asked for anything.</summary>
    public bool IsAdminAuthorised => AdminAuthorises(Method);

    /// <inheritdoc cref="IsAdminAuthorised"/>
    public static bool AdminAuthorises(SignInMethod method) => method is SignInMethod.Microsoft365App or SignInMethod.GoogleServiceAccount;

    /// <summary>Whether each user signs in at the provider through the secure link, instead of typing a password.</summary>
    public bool IsDelegated => Method is SignInMethod.Microsoft365User or SignInMethod.GoogleUser;

    /// <summary>The provider's name as its sign-in button says it: "Microsoft", "Google"; empty for passwords.</summary>
    public string ProviderName => Method switch
    {
        SignInMethod.Microsoft365App or SignInMethod.Microsoft365User => "Microsoft",
        SignInMethod.GoogleServiceAccount or SignInMethod.GoogleUser => "Google",
        _ => "",
    };

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

    /// <summary>
    /// The same Microsoft 365 app registration (secret or certificate), used for each user's own sign-in: the app has the
    /// delegated IMAP.AccessAsUser.All permission and the portal's return address as a Web redirect URI.
    /// </summary>
    public SideSignIn ForEachUser() => Method == SignInMethod.Microsoft365App
        ? this with { Method = SignInMethod.Microsoft365User }
        : throw new InvalidOperationException("Only a Microsoft 365 app registration is used for each user's sign-in this way.");

    /// <summary>A Google OAuth client of the Web application type, for each user's own "Sign in with Google".</summary>
    /// <param name="clientId">The OAuth client id (…apps.googleusercontent.com).</param>
    /// <param name="protectedSecret">The OAuth client secret, as ciphertext.</param>
    public static SideSignIn GoogleUser(string clientId, string protectedSecret, string? authorizationUrl = null, string? tokenUrl = null)
    {
        var client = GoogleClientId(clientId);
        return new SideSignIn
        {
            Method = SignInMethod.GoogleUser,
            ClientId = client,
            ProtectedSecret = RequiredSecret(protectedSecret),
            AuthorizationEndpoint = OptionalHttpsUrl(authorizationUrl, "authorization URL"),
            TokenEndpoint = OptionalHttpsUrl(tokenUrl, "token URL"),
        };
    }

    /// <summary>A Google OAuth client id, trimmed.</summary>
    /// <exception cref="DomainValidationException">Missing, too long, or with spaces.</exception>
    public static string GoogleClientId(string? clientId)
    {
        var client = Validation.Required(clientId, "OAuth client id", MaxIdLength);
        if (client.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new DomainValidationException($"'{client}' is not an OAuth client id: copy it from the Google Cloud console's Credentials page (it ends in .apps.googleusercontent.com).");
        return client;
    }

    public string Describe() => Method switch
    {
        SignInMethod.Microsoft365User => $"each user's own Microsoft 365 sign-in (app {ClientId} in tenant {TenantId})",
        SignInMethod.GoogleUser => $"each user's own Google sign-in (OAuth client {ClientId})",
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

/// <summary>
/// Which sides of a project log in with the admin's app or service account, so that nothing is asked of the user or
/// needed for them. (A side where each user signs in is asked of the user, as a password side is.)
/// </summary>
public readonly record struct TokenSides(bool Source, bool Destination)
{
    public static TokenSides For(MigrationProject project) => new(project.SourceSignIn.IsAdminAuthorised, project.DestinationSignIn.IsAdminAuthorised);
}
