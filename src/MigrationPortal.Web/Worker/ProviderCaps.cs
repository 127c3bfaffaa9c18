using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Web.Worker;

/// <summary>The connections a pass may open per mailbox, from what the providers of the project's sides allow.</summary>
public static class ProviderCaps
{
    /// <returns>The lowest cap of the two sides' providers; null when neither side is a provider with a known cap.</returns>
    public static int? MaxConnections(MigrationProject project) =>
        new[] { Cap(project.SourceSignIn.Method), Cap(project.DestinationSignIn.Method) }.Min();

    private static int? Cap(SignInMethod method) => method switch
    {
        SignInMethod.Microsoft365App => ProviderLimits.Microsoft365MaxConnections,
        SignInMethod.GoogleServiceAccount => ProviderLimits.GmailMaxConnections,
        _ => null,
    };
}
