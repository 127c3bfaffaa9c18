using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Web.Projects.SignIn;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Access;

/// <summary>Where the browser goes to sign in, and the cookie that ties its return to this browser.</summary>
public sealed record SignInStart(Uri ProviderUrl, string CookieName, string CookieValue);

public enum UserSignInOutcome
{
    /// <summary>The link, the state or the browser's cookie is not valid (or the link was used meanwhile): the neutral page.</summary>
    LinkInvalid,
    /// <summary>Nothing else was asked: the mailbox is submitted.</summary>
    Submitted,
    /// <summary>Kept; the form asks for the rest.</summary>
    SignedIn,
    /// <summary>Someone other than the mailbox's account signed in: nothing kept, the link still works.</summary>
    WrongAccount,
    /// <summary>The user cancelled, the provider refused, or the sign-in began in another browser or took too long: nothing used up.</summary>
    NotCompleted,
    /// <summary>The mailbox refused the token of the right account: the link is used and the mailbox failed (the admin's to fix).</summary>
    Refused,
    /// <summary>The provider or the mail server did not answer: nothing used up, try again.</summary>
    Unreachable,
}

/// <param name="LinkToken">The secure link's token, to lead the user back to the form (never shown for <see cref="UserSignInOutcome.LinkInvalid"/>).</param>
/// <param name="Words">The provider's words, for a sign-in that did not complete.</param>
public sealed record UserSignInResult(UserSignInOutcome Outcome, string? LinkToken = null, string Provider = "", string? Account = null,
    string? Expected = null, string? Words = null)
{
    public static UserSignInResult Invalid { get; } = new(UserSignInOutcome.LinkInvalid);
}

/// <summary>
/// "Sign in with Microsoft / Google" on the secure form: the OAuth 2.0 authorization-code flow with PKCE for the
/// project side's app. Beginning it only reads; the provider's answer comes back to one fixed address
/// (<see cref="ReturnPath"/>, the one registered with the app), carrying a state that names the link and side,
/// encrypted and short-lived, and matched against a cookie of the browser that began it (which also holds the PKCE
/// verifier), so an answer cannot be replayed into another browser or link. The account that signed in must be the
/// mailbox's; its token must open the mailbox; then the grant is kept, encrypted, as the side's credentials.
/// </summary>
public sealed partial class UserSignInService(
    CredentialAccessService access,
    SideLogins logins,
    IImapConnector connector,
    IPasswordProtector passwords,
    IDataProtectionProvider protection,
    IOptions<PortalOptions> options,
    TimeProvider time,
    ILogger<UserSignInService> logger)
{
    public const string ReturnPath = "/access/signed-in";
    public const string CookiePrefix = "MigrationPortal.SignIn.";

    /// <summary>How long a begun sign-in may take at the provider (typing a password, a second factor).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private readonly IDataProtector _state = protection.CreateProtector("MigrationPortal.Access.UserSignIn.State.v1");
    private readonly IDataProtector _browser = protection.CreateProtector("MigrationPortal.Access.UserSignIn.Browser.v1");

    /// <summary>The address the provider sends the browser back to; the admin registers it with the app.</summary>
    public Uri RedirectUri => ReturnAddress(options.Value);

    public static Uri ReturnAddress(PortalOptions options) => new((options.PublicBaseUrl?.TrimEnd('/')
        ?? throw new InvalidOperationException("Portal:PublicBaseUrl is not set, so no provider can send the user back.")) + ReturnPath);

    public static string CookieName(MailboxSide side) => CookiePrefix + side.ToString().ToLowerInvariant();

    /// <returns>Null when the link does not ask this side by a sign-in (the neutral page).</returns>
    public async Task<SignInStart?> StartAsync(string? token, MailboxSide side, CancellationToken ct)
    {
        var target = await access.FindSignInTargetAsync(token, side, ct);
        if (target is null) return null;
        var nonce = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        var expires = time.GetUtcNow() + Lifetime;
        var state = Protect(_state, new StatePayload(token!, side, nonce, expires));
        var signIn = target.Project.SignIn(side);
        var start = await logins.DelegatedFor(target.Project.Id, side, signIn).StartAsync(RedirectUri, state, Expected(target, side), ct);
        return new SignInStart(start.Url, CookieName(side), Protect(_browser, new BrowserPayload(nonce, start.CodeVerifier, expires)));
    }

    /// <summary>The provider's answer: an authorization code, or an error (the user cancelled, the provider refused).</summary>
    /// <param name="cookie">Reads a cookie of the browser by name.</param>
    public async Task<UserSignInResult> CompleteAsync(string? state, Func<string, string?> cookie, string? code, string? error,
        string? errorDescription, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (!TryRead<StatePayload>(_state, state, out var st) || st.Expires <= now) return UserSignInResult.Invalid;
        var target = await access.FindSignInTargetAsync(st.Token, st.Side, ct);
        if (target is null) return UserSignInResult.Invalid;
        var signIn = target.Project.SignIn(st.Side);
        var expected = Expected(target, st.Side);
        UserSignInResult NotCompleted(string? words) => new(UserSignInOutcome.NotCompleted, st.Token, signIn.ProviderName, Words: words);

        if (!TryRead<BrowserPayload>(_browser, cookie(CookieName(st.Side)), out var browser) || browser.Nonce != st.Nonce || browser.Expires <= now)
            return NotCompleted(null);
        if (!string.IsNullOrEmpty(error) || string.IsNullOrEmpty(code))
            return NotCompleted(Clip(string.IsNullOrWhiteSpace(errorDescription) ? error : errorDescription));

        DelegatedGrant grant;
        try
        {
            grant = await logins.DelegatedFor(target.Project.Id, st.Side, signIn).RedeemAsync(RedirectUri, code, browser.Verifier, ct);
        }
        catch (AccessTokenException e)
        {
            LogNotRedeemed(logger, target.Mailbox.Id, st.Side, e.Message);
            return e.IsTransient ? new UserSignInResult(UserSignInOutcome.Unreachable, st.Token, signIn.ProviderName) : NotCompleted(Clip(e.Message));
        }
        if (!string.Equals(grant.Account.Trim(), expected, StringComparison.OrdinalIgnoreCase))
        {
            LogWrongAccount(logger, target.Mailbox.Id, st.Side);
            return new UserSignInResult(UserSignInOutcome.WrongAccount, st.Token, signIn.ProviderName, grant.Account, expected);
        }

        // The right account: its token must open the mailbox, as a typed password must, before anything is kept.
        string? refusal = null;
        try
        {
            var endpoint = st.Side == MailboxSide.Source ? target.Project.Source : target.Project.Destination;
            await using var session = await connector.ConnectAsync(endpoint, ImapLogin.Bearer(expected, grant.Token.Value, ImapAuthMechanism.XOAuth2), ct);
        }
        catch (ImapConnectException e) when (e.Failure == ImapConnectFailure.Rejected)
        {
            refusal = $"{SideLogins.UserTokenRefusedHint} {e.Message}";
        }
        catch (ImapConnectException e)
        {
            LogMailboxUnreachable(logger, target.Mailbox.Id, st.Side, e.Message);
            return new UserSignInResult(UserSignInOutcome.Unreachable, st.Token, signIn.ProviderName);
        }

        var recorded = await access.RecordSignInAsync(target, st.Side, expected, passwords.Protect(grant.Grant), refusal, ct);
        return recorded switch
        {
            SignInRecorded.Submitted => new UserSignInResult(UserSignInOutcome.Submitted, st.Token, signIn.ProviderName, expected),
            SignInRecorded.SignedIn => new UserSignInResult(UserSignInOutcome.SignedIn, st.Token, signIn.ProviderName, expected),
            SignInRecorded.Refused => new UserSignInResult(UserSignInOutcome.Refused, st.Token, signIn.ProviderName, expected),
            _ => UserSignInResult.Invalid,
        };
    }

    /// <summary>The account that must sign in: the mailbox's login name when the admin gave one (a user principal name), else its address.</summary>
    private static string Expected(SignInTarget target, MailboxSide side) =>
        SideLogins.TokenUser(side == MailboxSide.Source ? target.Mailbox.Source : target.Mailbox.Destination);

    // The provider's error_description is shown to the user; a hostile one is cut short (and Razor encodes it).
    private static string? Clip(string? words) => words is { Length: > 300 } ? words[..300] + "…" : words;

    private static string Protect<T>(IDataProtector protector, T payload) =>
        WebEncoders.Base64UrlEncode(protector.Protect(JsonSerializer.SerializeToUtf8Bytes(payload)));

    private static bool TryRead<T>(IDataProtector protector, string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? payload) where T : class
    {
        payload = null;
        if (string.IsNullOrEmpty(text) || text.Length > 4096) return false;
        try
        {
            payload = JsonSerializer.Deserialize<T>(protector.Unprotect(WebEncoders.Base64UrlDecode(text)));
            return payload is not null;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or JsonException)
        {
            return false;
        }
    }

    /// <summary>What travels through the provider (encrypted): which link and side, the nonce the browser's cookie must carry, until when.</summary>
    private sealed record StatePayload(string Token, MailboxSide Side, string Nonce, DateTimeOffset Expires);

    /// <summary>What stays in the browser that began the sign-in (encrypted, HttpOnly): the same nonce and the PKCE verifier.</summary>
    private sealed record BrowserPayload(string Nonce, string Verifier, DateTimeOffset Expires);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: the {Side} provider did not redeem the user's sign-in: {ProviderWords}")]
    private static partial void LogNotRedeemed(ILogger logger, int mailboxId, MailboxSide side, string providerWords);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: another account than the mailbox's signed in for the {Side} side; nothing kept")]
    private static partial void LogWrongAccount(ILogger logger, int mailboxId, MailboxSide side);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: the {Side} mail server could not be reached to check the user's sign-in: {Detail}")]
    private static partial void LogMailboxUnreachable(ILogger logger, int mailboxId, MailboxSide side, string detail);
}
