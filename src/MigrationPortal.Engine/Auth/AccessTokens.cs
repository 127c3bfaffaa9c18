namespace MigrationPortal.Engine.Auth;

/// <summary>An OAuth 2.0 access token and when its issuer says it stops working.</summary>
public sealed record AccessToken(string Value, DateTimeOffset ExpiresOn)
{
    // A record prints every property: a token logged by mistake must not be usable by whoever reads the log.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("ExpiresOn = ").Append(ExpiresOn.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }
}

/// <summary>
/// Where a side's access tokens come from. Asked once per connection: an implementation hands back its cached token
/// until shortly before it expires and a fresh one after, so a long pass that opens connections late (a second folder
/// lane, a retry) logs in with a token that still works.
/// </summary>
public interface IAccessTokenSource
{
    /// <param name="mailbox">The mailbox the token must open (a service account's subject; an app-wide token ignores it).</param>
    /// <exception cref="AccessTokenException">The provider refused, or could not be reached.</exception>
    ValueTask<AccessToken> GetAsync(string mailbox, CancellationToken ct);
}

/// <summary>
/// No token could be had. <see cref="Exception.Message"/> is the provider's answer in words (its error code and
/// description, e.g. "AADSTS7000215: Invalid client secret provided."), fit for the admin; it never holds the client
/// secret, the signed assertion or a token.
/// </summary>
public sealed class AccessTokenException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// The token endpoint could not be reached or failed on its side (a timeout, a 5xx): worth another attempt, unlike a
    /// refusal of the app, the secret or the grant, which only the admin can put right.
    /// </summary>
    public bool IsTransient { get; init; }
}
