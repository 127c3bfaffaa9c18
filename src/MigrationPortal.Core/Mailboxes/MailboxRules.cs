using MigrationPortal.Core.Licenses;

namespace MigrationPortal.Core.Mailboxes;

/// <summary>The operator's settings that the lifecycle obeys.</summary>
public sealed record MailboxRules(LicensePolicy Licenses, TimeSpan CredentialLinkLifetime)
{
    public static MailboxRules Default { get; } = new(LicensePolicy.Default, TimeSpan.FromDays(7));

    /// <summary>The least time between two emails of one link that an admin's Resend may cause.</summary>
    public TimeSpan ResendInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The project's sides that log in with tokens: no password is asked of the user, or needed, for them.</summary>
    public Projects.TokenSides Tokens { get; init; }
}

/// <summary>A credential request just created by Start, with the nonce its link must carry.</summary>
public sealed record IssuedCredentialRequest(CredentialRequests.CredentialRequest Request, byte[] Nonce);
