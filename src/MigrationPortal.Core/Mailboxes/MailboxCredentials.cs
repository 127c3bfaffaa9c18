namespace MigrationPortal.Core.Mailboxes;

public enum MailboxSide
{
    Source = 0,
    Destination = 1,
}

/// <summary>
/// One side of a mailbox: the address, the login name and, when the admin knows it, the password
/// as ciphertext. A side without a password is "I don't know the username or password": its
/// credentials are requested from the mailbox user.
/// </summary>
public sealed class MailboxCredentials
{
    public const int MaxEmailLength = 254;
    public const int MaxLoginLength = 254;

    private MailboxCredentials() { Email = ""; LoginName = ""; }

    public MailboxCredentials(string email, string? loginName, string? protectedPassword)
    {
        Email = Validation.EmailAddress(email, "email address");
        LoginName = Validation.LoginName(loginName);
        if (protectedPassword is not null && LoginName.Length == 0)
            throw new DomainValidationException("A login name is required when the password is known.");
        ProtectedPassword = protectedPassword;
    }

    public string Email { get; private set; }

    /// <summary>Empty when unknown; the mailbox user types it in the credential form.</summary>
    public string LoginName { get; private set; }

    /// <summary>
    /// Ciphertext from <see cref="IPasswordProtector"/>; never the password itself. On a side where each user signs in at
    /// the provider (<see cref="Projects.SideSignIn.IsDelegated"/>), the grant the sign-in left (its refresh token), and
    /// <see cref="LoginName"/> the account that signed in: Clear Credentials forgets it as it forgets a password.
    /// </summary>
    public string? ProtectedPassword { get; private set; }

    public bool IsKnown => ProtectedPassword is not null;

    internal void Clear() => ProtectedPassword = null;

    internal void Set(string loginName, string protectedPassword)
    {
        LoginName = Validation.RequiredLogin(loginName);
        ProtectedPassword = protectedPassword;
    }
}
