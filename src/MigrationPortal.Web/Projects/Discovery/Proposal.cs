using MigrationPortal.Core.Projects;

namespace MigrationPortal.Web.Projects.Discovery;

/// <summary>An IMAP endpoint found for a domain, and where it was found (for the admin to judge it).</summary>
public sealed record Proposal(string Host, int Port, TlsMode Security, string Origin);

public enum ProposalStatus
{
    /// <summary>Connected over the proposal's security, certificate accepted, an IMAP greeting read; no login tried.</summary>
    Verified,

    /// <summary>As <see cref="Verified"/>, and the test login was accepted.</summary>
    LoginAccepted,

    /// <summary>Reached as <see cref="Verified"/>, but the server refused the test login.</summary>
    LoginRefused,

    /// <summary>Not reached, or the TLS or the IMAP greeting failed.</summary>
    Unreachable,

    /// <summary>Plain text, and the admin did not allow endpoints without encryption: not connected to.</summary>
    NotOffered,

    /// <summary>The search ran out of time before this one was tried.</summary>
    NotChecked,
}

/// <param name="Detail">Why, in the connector's words (host:port and the reason), or a note on what was offered.</param>
public sealed record CheckedProposal(Proposal Proposal, ProposalStatus Status, string? Detail)
{
    /// <summary>A real connection reached it with the proposal's security: it may fill the form.</summary>
    public bool CanBeUsed => Status is ProposalStatus.Verified or ProposalStatus.LoginAccepted or ProposalStatus.LoginRefused;
}

/// <param name="Domain">The domain looked up, as normalised; null when what was typed is not a domain.</param>
/// <param name="Error">Why nothing was looked up (the domain typed is not one).</param>
/// <param name="Steps">What each source gave, in the order asked, e.g. "autoconfig at …: not found (404)".</param>
public sealed record DiscoveryReport(string? Domain, string? Error, IReadOnlyList<string> Steps, IReadOnlyList<CheckedProposal> Proposals);
