using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>
/// How a mailbox's side is logged in to: its stored password, or a token from the project side's provider. One token
/// source per project side and settings, for the life of the process: MSAL's and Google's credentials cache their
/// tokens until shortly before expiry, so a pass's later connections (and other mailboxes of the project) reuse them.
/// </summary>
public sealed partial class SideLogins(IPasswordProtector passwords, IOptions<ModernAuthOptions> options, TimeProvider time,
    IServiceScopeFactory scopes, ILogger<SideLogins> logger)
{
    private readonly ConcurrentDictionary<(int Project, MailboxSide Side), (string Key, IAccessTokenSource Source)> _sources = new();
    private readonly ConcurrentDictionary<(int Project, MailboxSide Side), (string Key, IDelegatedSignIn SignIn)> _delegated = new();

    /// <summary>
    /// Said before an IMAP server's refusal of a token the provider did issue: the app or service account is authorised,
    /// so what is missing is this mailbox's grant (or the mailbox itself).
    /// </summary>
    public const string TokenRefusedHint =
        "the provider issued a token but the mailbox refused it (is the app granted this mailbox: Add-MailboxPermission, or domain-wide delegation with the scope?).";

    /// <summary>Said before an IMAP server's refusal of a token a user's own sign-in gave.</summary>
    public const string UserTokenRefusedHint =
        "the mailbox refused the token of its user's own sign-in (is IMAP enabled for the user, and the app's delegated IMAP permission consented?).";

    /// <summary>Said after a provider's refusal to renew a user's grant: only the user can put it right.</summary>
    public const string SignInAgainHint = "The user must sign in again: Start the mailbox to send them a new link.";

    /// <summary>What the admin reads when a token side was refused: by the provider (no token), or by the mailbox.</summary>
    public static string Refusal(SideSignIn signIn, bool noToken, string detail) => (noToken, signIn.IsDelegated) switch
    {
        (true, true) => $"{detail} {SignInAgainHint}",
        (true, false) => detail,
        (false, true) => $"{UserTokenRefusedHint} {detail}",
        (false, false) => $"{TokenRefusedHint} {detail}",
    };

    /// <summary>The login name a token side logs in as: the mailbox's login name when the admin gave one, else its address.</summary>
    public static string TokenUser(MailboxCredentials side) => side.LoginName.Length > 0 ? side.LoginName : side.Email;

    /// <summary>Whether the side can be logged in to without asking anyone: the admin's app opens it, or its password or user's grant is stored.</summary>
    public static bool CanLogIn(SideSignIn signIn, MailboxCredentials side) => signIn.IsAdminAuthorised || side.IsKnown;

    /// <summary>A login for one connection: for a token side, a token fetched now (from the cache while it is fresh).</summary>
    /// <param name="mailboxId">The mailbox whose side this is: where a user's renewed grant is kept.</param>
    /// <exception cref="AccessTokenException">The provider gave no token; its message is the provider's answer.</exception>
    public async ValueTask<ImapLogin> LoginAsync(MigrationProject project, int mailboxId, MailboxSide side, MailboxCredentials credentials, CancellationToken ct)
    {
        var signIn = project.SignIn(side);
        if (!signIn.UsesTokens)
            return new ImapLogin(credentials.LoginName, passwords.Unprotect(credentials.ProtectedPassword
                ?? throw new MissingCredentialsException(side, signIn)));
        var user = TokenUser(credentials);
        if (signIn.IsDelegated)
            return ImapLogin.Bearer(user, (await UserTokenAsync(project.Id, mailboxId, side, signIn, ct)).Value, ImapAuthMechanism.XOAuth2);
        var token = await SourceFor(project.Id, side, signIn).GetAsync(user, ct);
        return ImapLogin.Bearer(user, token.Value, ImapAuthMechanism.XOAuth2);
    }

    /// <summary>
    /// A token from the grant the user's own sign-in left, as the mailbox holds it now (not as it was when the pass began:
    /// the provider may have renewed it since, and a Clear Credentials meanwhile must stop the pass). When the provider
    /// hands back a new refresh token it is kept, encrypted, over the very grant it replaces.
    /// </summary>
    private async ValueTask<AccessToken> UserTokenAsync(int projectId, int mailboxId, MailboxSide side, SideSignIn signIn, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var stored = await db.Mailboxes.AsNoTracking().Where(m => m.Id == mailboxId)
            .Select(m => side == MailboxSide.Source ? m.Source.ProtectedPassword : m.Destination.ProtectedPassword)
            .SingleOrDefaultAsync(ct) ?? throw new MissingCredentialsException(side, signIn);
        DelegatedToken result;
        try
        {
            result = await DelegatedFor(projectId, side, signIn).GetAsync(passwords.Unprotect(stored), ct);
        }
        catch (ArgumentException)
        {
            // What is stored is no grant of this provider: a password typed before the side was switched to the user's
            // sign-in, or a grant of the other provider. Only a new sign-in puts it right.
            throw new MissingCredentialsException(side, signIn);
        }
        if (result.RenewedGrant is { } newer)
            await KeepRenewedGrantAsync(scope.ServiceProvider, mailboxId, side, stored, passwords.Protect(newer));
        return result.Token;
    }

    // Two connections renewing at once both get working grants (the provider keeps an earlier refresh token valid until
    // it expires); the second write then finds the first's grant and leaves it.
    private async Task KeepRenewedGrantAsync(IServiceProvider services, int mailboxId, MailboxSide side, string replaces, string renewed)
    {
        try
        {
            var db = services.GetRequiredService<PortalDbContext>();
            using (await services.GetRequiredService<DatabaseWriteGate>().EnterAsync(CancellationToken.None))
            {
                var rows = side == MailboxSide.Source
                    ? await db.Mailboxes.Where(m => m.Id == mailboxId && m.Source.ProtectedPassword == replaces)
                        .ExecuteUpdateAsync(u => u.SetProperty(m => m.Source.ProtectedPassword, renewed), CancellationToken.None)
                    : await db.Mailboxes.Where(m => m.Id == mailboxId && m.Destination.ProtectedPassword == replaces)
                        .ExecuteUpdateAsync(u => u.SetProperty(m => m.Destination.ProtectedPassword, renewed), CancellationToken.None);
                if (rows == 1) LogGrantRenewed(logger, mailboxId, side);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The earlier grant still works until it expires: the next renewal tries again.
            LogGrantNotKept(logger, e, mailboxId, side);
        }
    }

    /// <summary>The user sign-in of a project side's current settings (a new one once they change).</summary>
    public IDelegatedSignIn DelegatedFor(int projectId, MailboxSide side, SideSignIn signIn)
    {
        var key = Fingerprint(signIn);
        var entry = _delegated.AddOrUpdate((projectId, side),
            _ => (key, Create()),
            (_, existing) => existing.Key == key ? existing : (key, Create()));
        return entry.SignIn;

        IDelegatedSignIn Create() =>
            DelegatedSignIns.Create(signIn, passwords.Unprotect(signIn.ProtectedSecret!), options.Value.TrustedCertificateSha256, time);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: the {Side} provider renewed the user's grant; the new one is kept")]
    private static partial void LogGrantRenewed(ILogger logger, int mailboxId, MailboxSide side);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: the {Side} provider renewed the user's grant, but it could not be kept; the earlier one is used until the next renewal")]
    private static partial void LogGrantNotKept(ILogger logger, Exception exception, int mailboxId, MailboxSide side);

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
        string.Join('\n', signIn.Method, signIn.TenantId, signIn.ClientId, signIn.ProtectedSecret, signIn.TokenEndpoint, signIn.AuthorizationEndpoint))));
}

/// <summary>
/// A side that needs the user's password or sign-in has neither: its sign-in method was changed, or its credentials
/// cleared, after the mailbox was started. Start asks the user for them.
/// </summary>
public sealed class MissingCredentialsException(MailboxSide side, SideSignIn signIn) : Exception(signIn.IsDelegated
    ? $"The {side.ToString().ToLowerInvariant()} mailbox's user has not signed in with {signIn.ProviderName} (the side's sign-in was changed after Start, or its credentials cleared): Start the mailbox again to ask the user to sign in."
    : $"The {side.ToString().ToLowerInvariant()} password is not known (the side's sign-in was changed to passwords after Start, or the password cleared): Start the mailbox again to ask the user for it.");
