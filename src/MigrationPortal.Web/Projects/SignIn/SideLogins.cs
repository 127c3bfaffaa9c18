using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>
/// How a mailbox's side is logged in to: its stored password, or a token from the project side's provider. One token
/// source per project side and settings, for the life of the process: MSAL's and Google's credentials cache their
/// tokens until shortly before expiry, so a pass's later connections (and other mailboxes of the project) reuse them.
/// </summary>
public sealed class SideLogins(IPasswordProtector passwords, IOptions<ModernAuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(int Project, MailboxSide Side), (string Key, IAccessTokenSource Source)> _sources = new();

    /// <summary>
    /// Said before an IMAP server's refusal of a token the provider did issue: the app or service account is authorised,
    /// so what is missing is this mailbox's grant (or the mailbox itself).
    /// </summary>
    public const string TokenRefusedHint =
        "the provider issued a token but the mailbox refused it (is the app granted this mailbox: Add-MailboxPermission, or domain-wide delegation with the scope?).";

    /// <summary>The login name a token side logs in as: the mailbox's login name when the admin gave one, else its address.</summary>
    public static string TokenUser(MailboxCredentials side) => side.LoginName.Length > 0 ? side.LoginName : side.Email;

    /// <summary>Whether the side can be logged in to without asking anyone: it uses tokens, or its password is stored.</summary>
    public static bool CanLogIn(SideSignIn signIn, MailboxCredentials side) => signIn.UsesTokens || side.IsKnown;

    /// <summary>A login for one connection: for a token side, a token fetched now (from the cache while it is fresh).</summary>
    /// <exception cref="AccessTokenException">The provider gave no token; its message is the provider's answer.</exception>
    public async ValueTask<ImapLogin> LoginAsync(MigrationProject project, MailboxSide side, MailboxCredentials credentials, CancellationToken ct)
    {
        var signIn = project.SignIn(side);
        if (!signIn.UsesTokens)
            return new ImapLogin(credentials.LoginName, passwords.Unprotect(credentials.ProtectedPassword
                ?? throw new MissingPasswordException(side)));
        var user = TokenUser(credentials);
        var token = await SourceFor(project.Id, side, signIn).GetAsync(user, ct);
        return ImapLogin.Bearer(user, token.Value, ImapAuthMechanism.XOAuth2);
    }

    /// <summary>The token source for a project side's current settings (a new one once they change).</summary>
    /// <remarks>
    /// A replaced source is left to the garbage collector, not disposed: a pass that began before the admin saved new
    /// settings may still be asking it for its next connection's token. Settings change rarely; one idle HttpClient each time.
    /// </remarks>
    public IAccessTokenSource SourceFor(int projectId, MailboxSide side, SideSignIn signIn)
    {
        var key = Fingerprint(signIn);
        var entry = _sources.AddOrUpdate((projectId, side),
            _ => (key, Create(signIn)),
            (_, existing) => existing.Key == key ? existing : (key, Create(signIn)));
        return entry.Source;
    }

    private IAccessTokenSource Create(SideSignIn signIn)
    {
        var secret = passwords.Unprotect(signIn.ProtectedSecret!);
        var trusted = options.Value.TrustedCertificateSha256;
        return signIn.Method switch
        {
            SignInMethod.Microsoft365App => new Microsoft365AppTokens(
                new Microsoft365AppSettings(signIn.TenantId!, signIn.ClientId!, signIn.UsesCertificate ? "" : secret)
                {
                    AuthorityHost = new Uri(signIn.TokenEndpoint ?? SideSignIn.Microsoft365AuthorityHost),
                    Certificate = signIn.UsesCertificate ? AppCertificate.Open(secret) : null,
                },
                () => TokenEndpointHttp.Handler(trusted)),
            SignInMethod.GoogleServiceAccount => new GoogleServiceAccountTokens(
                new GoogleServiceAccountSettings(secret) { TokenUrl = signIn.TokenEndpoint is { } url ? new Uri(url) : null },
                () => TokenEndpointHttp.Handler(trusted), time),
            _ => throw new ArgumentOutOfRangeException(nameof(signIn), signIn.Method, "Not a token sign-in."),
        };
    }

    // The settings as stored (the secret's ciphertext included): a changed secret or endpoint makes a new source.
    private static string Fingerprint(SideSignIn signIn) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join('\n', signIn.Method, signIn.TenantId, signIn.ClientId, signIn.ProtectedSecret, signIn.TokenEndpoint))));
}

/// <summary>
/// A password side without a stored password: its sign-in was changed from tokens to passwords, or its password
/// cleared, after the mailbox was started. Start asks the user for it.
/// </summary>
public sealed class MissingPasswordException(MailboxSide side)
    : Exception($"The {side.ToString().ToLowerInvariant()} password is not known (the side's sign-in was changed to passwords after Start, or the password cleared): Start the mailbox again to ask the user for it.");
