using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Verification;

public interface IImapCredentialVerifier
{
    /// <summary>Logs in to the endpoint once and logs out. Failures are results; only cancelling <paramref name="ct"/> throws.</summary>
    Task<CredentialCheckResult> VerifyAsync(ImapEndpoint endpoint, string login, string password, CancellationToken ct);
}
