using System.Globalization;
using System.Net;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Google.Apis.Util;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// What the service account's tokens (<see cref="GoogleServiceAccountTokens"/>) and a user's sign-in
/// (<see cref="GoogleUserSignIn"/>) share about Google.Apis.Auth: its clock from the TimeProvider, its HTTP through our
/// handler, and one way to put its failures into words for the admin.
/// </summary>
internal static class GoogleAuthShared
{
    /// <summary>
    /// Google's refusal in its words: "&lt;host&gt; refused a token for &lt;whose&gt;: invalid_grant: Token has been
    /// expired or revoked." Google's error and description never repeat the secret, the assertion or a token.
    /// A refusal is transient only when the endpoint failed on its side (a timeout, 429, a 5xx).
    /// </summary>
    public static AccessTokenException Refused(TokenResponseException e, string host, string whose)
    {
        var error = e.Error?.Error is { Length: > 0 } code ? code : "error";
        var description = e.Error?.ErrorDescription is { Length: > 0 } d ? d : "(no description)";
        return new AccessTokenException(string.Create(CultureInfo.InvariantCulture, $"{host} refused a token for {whose}: {error}: {description}"), e)
        {
            IsTransient = e.StatusCode is null or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError,
        };
    }

    /// <summary>Whether <paramref name="e"/> means the endpoint could not be reached (not the caller's cancellation).</summary>
    /// <remarks>InvalidOperationException: Google.Apis.Auth's "could not be refreshed" after its own timeouts.</remarks>
    public static bool IsUnreachable(Exception e, CancellationToken ct) =>
        e is HttpRequestException or TaskCanceledException or InvalidOperationException && !ct.IsCancellationRequested;

    public static AccessTokenException Unreachable(Exception e, string host, string whose) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{host} could not be reached for a token for {whose}: {e.Message}"), e) { IsTransient = true };

    /// <summary>Google.Apis.Auth's clock, read from the TimeProvider.</summary>
    public sealed class TimeProviderClock(TimeProvider time) : IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;
        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }

    /// <summary>
    /// Every credential's HttpClient over the one handler, so thousands of mailboxes share its connections. Google wraps
    /// the handler in its own message handler, which it may dispose: the shared one is passed through a wrapper that
    /// leaves it open.
    /// </summary>
    public sealed class SharedHandlerFactory(HttpMessageHandler shared) : HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args) => new KeepOpen(shared);
    }

    private sealed class KeepOpen(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
            // Not base.Dispose: that would dispose the shared handler.
        }
    }
}
