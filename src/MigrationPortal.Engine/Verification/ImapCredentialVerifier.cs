using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Verification;

/// <summary>Logs in through the connector and out again; what the connector says is the verdict.</summary>
public sealed class ImapCredentialVerifier(IImapConnector connector) : IImapCredentialVerifier
{
    /// <param name="timeout">Bounds the connection and login; 15 s when null.</param>
    public ImapCredentialVerifier(TimeSpan? timeout = null) : this(new ImapConnector(timeout)) { }

    public async Task<CredentialCheckResult> VerifyAsync(ImapEndpoint endpoint, string login, string password, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(password);
        try
        {
            // The verdict is in once the login succeeded: disposing logs out, and a failing LOGOUT does not change it.
            await using var session = await connector.ConnectAsync(endpoint, new ImapLogin(login, password), ct);
            return new(CredentialCheckOutcome.Accepted, null);
        }
        catch (ImapConnectException e)
        {
            return new(e.Failure == ImapConnectFailure.Rejected ? CredentialCheckOutcome.Rejected : CredentialCheckOutcome.Unreachable, e.Message);
        }
    }
}
