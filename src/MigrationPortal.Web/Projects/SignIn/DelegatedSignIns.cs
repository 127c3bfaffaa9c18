using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>The provider's user sign-in for a project side's settings: MSAL for Microsoft 365, Google.Apis.Auth for Google.</summary>
public static class DelegatedSignIns
{
    /// <param name="secret">The app's client secret, or its certificate (PKCS#12, base64) when the side uses one.</param>
    /// <param name="trusted">Token endpoint certificates accepted besides the system's trust (ModernAuth:TrustedCertificateSha256).</param>
    public static IDelegatedSignIn Create(SideSignIn signIn, string secret, IReadOnlyCollection<string> trusted, TimeProvider time) => signIn.Method switch
    {
        SignInMethod.Microsoft365User => new Microsoft365UserSignIn(
            new Microsoft365UserSettings(signIn.TenantId!, signIn.ClientId!, signIn.UsesCertificate ? "" : secret)
            {
                AuthorityHost = new Uri(signIn.TokenEndpoint ?? SideSignIn.Microsoft365AuthorityHost),
                Certificate = signIn.UsesCertificate ? AppCertificate.Open(secret) : null,
            },
            () => TokenEndpointHttp.Handler(trusted)),
        SignInMethod.GoogleUser => new GoogleUserSignIn(
            new GoogleUserSettings(signIn.ClientId!, secret)
            {
                AuthorizationUrl = signIn.AuthorizationEndpoint is { } authorize ? new Uri(authorize) : GoogleUserSettings.DefaultAuthorizationUrl,
                TokenUrl = signIn.TokenEndpoint is { } token ? new Uri(token) : GoogleUserSettings.DefaultTokenUrl,
            },
            () => TokenEndpointHttp.Handler(trusted), time),
        _ => throw new ArgumentOutOfRangeException(nameof(signIn), signIn.Method, "Not a sign-in of each user."),
    };
}
