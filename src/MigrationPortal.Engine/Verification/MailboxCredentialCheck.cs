using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Verification;

/// <summary>A login name and password for one side, in clear only for as long as the check takes.</summary>
public sealed record SideCredentials(string Login, string Password);

/// <summary>What both servers said about one mailbox's credentials.</summary>
public sealed record MailboxCredentialCheck(CredentialCheckResult Source, CredentialCheckResult Destination)
{
    public bool SourceRejected => Source.Outcome == CredentialCheckOutcome.Rejected;
    public bool DestinationRejected => Destination.Outcome == CredentialCheckOutcome.Rejected;
    public bool AnyRejected => SourceRejected || DestinationRejected;
    public bool AnyUnreachable => Source.Outcome == CredentialCheckOutcome.Unreachable || Destination.Outcome == CredentialCheckOutcome.Unreachable;
    public bool BothAccepted => Source.Outcome == CredentialCheckOutcome.Accepted && Destination.Outcome == CredentialCheckOutcome.Accepted;
}

public static class MailboxCredentialChecks
{
    /// <summary>Logs in to the source and the destination at the same time.</summary>
    /// <param name="source">Null: the side is not checked here (it signs in with tokens, which are the admin's to verify) and counts as accepted.</param>
    public static async Task<MailboxCredentialCheck> CheckBothAsync(this IImapCredentialVerifier verifier,
        ImapEndpoint sourceEndpoint, SideCredentials? source, ImapEndpoint destinationEndpoint, SideCredentials? destination, CancellationToken ct)
    {
        var checks = await Task.WhenAll(Check(sourceEndpoint, source), Check(destinationEndpoint, destination));
        return new MailboxCredentialCheck(checks[0], checks[1]);

        Task<CredentialCheckResult> Check(ImapEndpoint endpoint, SideCredentials? side) => side is null
            ? Task.FromResult(new CredentialCheckResult(CredentialCheckOutcome.Accepted, null))
            : verifier.VerifyAsync(endpoint, side.Login, side.Password, ct);
    }
}
