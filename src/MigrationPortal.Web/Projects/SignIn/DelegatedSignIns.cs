using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>The provider's user sign-in for a project side's settings: MSAL for Microsoft 365, Google.Apis.Auth for Google.</summary>
public static class DelegatedSignIns
{
    /// <param name="secret">The app's client secret, or its certificate (PKCS#12, base64) when the side uses one.</param>
    public static IDelegatedSignIn Create(SideSignIn signIn, string secret, IReadOnlyCollection<string> trusted, TimeProvider time) => signIn.Method switch
    {
        _ => throw new NotSupportedException("Each user's own sign-in is being built: its provider code lands with the next commit."),
    };
}
