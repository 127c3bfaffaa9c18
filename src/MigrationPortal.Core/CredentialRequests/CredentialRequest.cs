using System.Security.Cryptography;

namespace MigrationPortal.Core.CredentialRequests;

public enum CredentialRequestState
{
    Pending = 0,
    Used = 1,
    Revoked = 2,
}

/// <summary>
/// One emailed link asking a mailbox user for credentials. The link carries the id and a random
/// nonce; only the nonce's hash is kept, and whether the link still works is decided here, against
/// the database's copy, never by the token alone.
/// </summary>
public sealed class CredentialRequest
{
    public const int NonceBytes = 32;

    private CredentialRequest() { NonceHash = []; }

    private CredentialRequest(int mailboxId, bool asksSource, bool asksDestination, DateTimeOffset now, TimeSpan lifetime, byte[] nonce)
    {
        Id = Guid.NewGuid();
        MailboxId = mailboxId;
        AsksSource = asksSource;
        AsksDestination = asksDestination;
        CreatedAt = now;
        ExpiresAt = now + lifetime;
        NonceHash = SHA256.HashData(nonce);
        State = CredentialRequestState.Pending;
    }

    public Guid Id { get; private set; }
    public int MailboxId { get; private set; }
    public bool AsksSource { get; private set; }
    public bool AsksDestination { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }
    public byte[] NonceHash { get; private set; }
    public CredentialRequestState State { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>Creates a request and hands back the nonce for the link; the nonce itself is never stored.</summary>
    internal static (CredentialRequest Request, byte[] Nonce) Issue(int mailboxId, bool asksSource, bool asksDestination, DateTimeOffset now, TimeSpan lifetime)
    {
        if (!asksSource && !asksDestination)
            throw new ArgumentException("A credential request asks for at least one side.");
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        return (new CredentialRequest(mailboxId, asksSource, asksDestination, now, lifetime, nonce), nonce);
    }

    public bool IsUsable(DateTimeOffset now) => State == CredentialRequestState.Pending && now < ExpiresAt;

    public bool Matches(ReadOnlySpan<byte> nonce) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(nonce), NonceHash);

    internal void Revoke(DateTimeOffset now)
    {
        if (State != CredentialRequestState.Pending) return;
        State = CredentialRequestState.Revoked;
        ClosedAt = now;
    }

    internal void MarkUsed(DateTimeOffset now)
    {
        if (State != CredentialRequestState.Pending)
            throw new InvalidOperationException("Only a pending credential request can be used.");
        State = CredentialRequestState.Used;
        ClosedAt = now;
    }
}
