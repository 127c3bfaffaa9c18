using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Identity.Client;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// What the app's own tokens (<see cref="Microsoft365AppTokens"/>) and a user's sign-in (<see cref="Microsoft365UserSignIn"/>)
/// share about MSAL: one way to build a confidential client for an app registration (secret or certificate, Microsoft's
/// clouds or any other HTTPS authority), and one way to put MSAL's failures into words for the admin.
/// </summary>
internal static class MsalClients
{
    /// <summary>A confidential client's builder for the app, its requests through <paramref name="http"/>.</summary>
    public static ConfidentialClientApplicationBuilder Builder(
        string tenantId, string clientId, string clientSecret, X509Certificate2? certificate, Uri authorityHost, HttpClient http)
    {
        var authority = new Uri(authorityHost, Uri.EscapeDataString(tenantId.Trim()) + "/").ToString();
        var builder = ConfidentialClientApplicationBuilder.Create(clientId.Trim()).WithHttpClientFactory(new SingleClient(http));
        builder = certificate is not null ? builder.WithCertificate(certificate) : builder.WithClientSecret(clientSecret);
        return IsKnownHost(authorityHost)
            ? builder.WithAuthority(authority)
            // Any other host would first be looked up through login.microsoftonline.com's instance discovery, which
            // knows nothing of it (and is not reachable from an isolated network): it is used as it is, an AAD-shaped
            // authority whose endpoints are <host>/<tenant>/oauth2/v2.0/authorize and …/token.
            : builder.WithAuthority(authority, validateAuthority: false).WithInstanceDiscovery(false);
    }

    /// <summary>The checks of an app registration's settings before MSAL is given them (MSAL's own errors come later and vaguer).</summary>
    /// <exception cref="ArgumentException">A setting is missing, or the authority is not HTTPS (named as <paramref name="paramName"/>).</exception>
    public static void Validate(string tenantId, string clientId, string clientSecret, X509Certificate2? certificate, Uri authorityHost, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        if (certificate is null)
            ArgumentException.ThrowIfNullOrEmpty(clientSecret);
        else if (!certificate.HasPrivateKey)
            throw new ArgumentException("The certificate's private key is needed to sign the client assertion.", paramName);
        if (authorityHost.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException("MSAL accepts only an HTTPS authority.", paramName);
    }

    /// <summary>Whether <paramref name="e"/> is a failure <see cref="Describe"/> puts into words (not the caller's cancellation).</summary>
    public static bool IsTokenFailure(Exception e, CancellationToken ct) =>
        e is MsalServiceException or MsalClientException || e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested;

    /// <summary>
    /// MSAL's failure as the admin reads it. A refusal: MSAL's Message is the endpoint's error_description ("AADSTS7000215:
    /// Invalid client secret provided. …") and its ErrorCode the OAuth error ("invalid_client"); neither repeats the
    /// secret, which is masked all the same. A refusal that needs the user (MsalUiRequiredException: the refresh token was
    /// revoked or expired, invalid_grant) is never transient, whatever status it came with: only a new sign-in helps.
    /// </summary>
    /// <param name="host">The authority's host, named in every message.</param>
    /// <param name="whose">Whose token was asked for: "the app &lt;client id&gt;", or a user's at the app.</param>
    public static AccessTokenException Describe(Exception e, Uri host, string whose, string clientSecret)
    {
        var (message, transient) = e switch
        {
            MsalServiceException service => (string.Create(CultureInfo.InvariantCulture,
                $"{host.Host} refused a token for {whose} ({service.ErrorCode}): {(string.IsNullOrWhiteSpace(service.Message) ? "(no description)" : service.Message.Trim())}"),
                service is not MsalUiRequiredException
                    && service.StatusCode is 0 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500),
            // A failure on our side of MSAL (a malformed authority, no network): MSAL's words, which hold no secret.
            MsalClientException client => (string.Create(CultureInfo.InvariantCulture,
                $"No token from {host.Host} for {whose}: {client.ErrorCode}: {client.Message}"),
                client.InnerException is HttpRequestException or TaskCanceledException),
            _ => (string.Create(CultureInfo.InvariantCulture, $"{host.Host} could not be reached for a token for {whose}: {e.Message}"), true),
        };
        return new AccessTokenException(message.Replace(clientSecret.Length > 0 ? clientSecret : "\0", "***", StringComparison.Ordinal), e)
        {
            IsTransient = transient,
        };
    }

    private static bool IsKnownHost(Uri host) =>
        host.Host is "login.microsoftonline.com" or "login.microsoftonline.us" or "login.partner.microsoftonline.cn" or "login.microsoftonline.de";

    /// <summary>MSAL asks for its HttpClient on every request and expects the same long-lived one each time.</summary>
    private sealed class SingleClient(HttpClient client) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => client;
    }
}
