namespace MigrationPortal.Engine.Auth;

/// <summary>
/// A mailbox user's own sign-in at their provider ("Sign in with Microsoft", "Sign in with Google") instead of a password:
/// the OAuth 2.0 authorization-code flow with PKCE (RFC 7636) for a web app registered by the admin, then access tokens
/// from the grant it leaves (a refresh token), for as long as the provider honours it. One instance per app registration;
/// it holds no user's grant itself: the caller stores <see cref="DelegatedGrant.Grant"/> (encrypted) and hands it back.
/// </summary>
public interface IDelegatedSignIn
{
    /// <summary>Where to send the user's browser to sign in, and the PKCE verifier the caller keeps until it comes back.</summary>
    /// <param name="redirectUri">The address the provider sends the browser back to: the one registered with the app.</param>
    /// <param name="state">Opaque to the provider and returned as it is: the caller's binding of the answer to its request.</param>
    /// <param name="loginHint">The account expected to sign in (the mailbox), pre-filled on the provider's page.</param>
    ValueTask<AuthorizationStart> StartAsync(Uri redirectUri, string state, string? loginHint, CancellationToken ct);

    /// <summary>Redeems the authorization code the provider sent back with the verifier of <see cref="StartAsync"/>.</summary>
    /// <exception cref="AccessTokenException">The provider refused (its words), or could not be reached (transient).</exception>
    ValueTask<DelegatedGrant> RedeemAsync(Uri redirectUri, string code, string codeVerifier, CancellationToken ct);

    /// <summary>
    /// An access token from a stored grant: from memory while fresh, else by the refresh token. When the provider
    /// handed back a new refresh token (rotation), <see cref="DelegatedToken.RenewedGrant"/> is what to store instead.
    /// </summary>
    /// <exception cref="AccessTokenException">The grant was revoked or expired (the user must sign in again), or the provider could not be reached (transient).</exception>
    ValueTask<DelegatedToken> GetAsync(string grant, CancellationToken ct);
}

/// <param name="Url">The provider's authorization address with client id, redirect URI, scopes, state and code challenge.</param>
/// <param name="CodeVerifier">The PKCE secret: kept by the caller (never in a URL), given to <see cref="IDelegatedSignIn.RedeemAsync"/>.</param>
public sealed record AuthorizationStart(Uri Url, string CodeVerifier)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url.GetLeftPart(UriPartial.Path));
        return true;
    }
}

/// <param name="Account">Who signed in, as the provider names the account (Microsoft's preferred_username, Google's verified email).</param>
/// <param name="Grant">What later tokens come from (a refresh token, or MSAL's token cache): a secret, to be stored encrypted.</param>
/// <param name="Token">The first access token, to check the mailbox opens with it.</param>
public sealed record DelegatedGrant(string Account, string Grant, AccessToken Token)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Account = ").Append(Account).Append(", Token = ").Append(Token);
        return true;
    }
}

/// <param name="RenewedGrant">Null when the stored grant is still the one to keep.</param>
public sealed record DelegatedToken(AccessToken Token, string? RenewedGrant)
{
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Token = ").Append(Token).Append(", Renewed = ").Append(RenewedGrant is not null);
        return true;
    }
}
