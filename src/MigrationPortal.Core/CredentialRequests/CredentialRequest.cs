using System.Linq.Expressions;
using System.Security.Cryptography;

namespace MigrationPortal.Core.CredentialRequests;

public enum CredentialRequestState
{
    Pending = 0,
    Used = 1,
    Revoked = 2,

    /// <summary>A submission claimed the link and its credentials are being checked; back to Pending if a server is unreachable.</summary>
    Verifying = 3,
}

/// <summary>
/// One emailed link asking a mailbox user for credentials. The link carries the id and a random
/// nonce; only the nonce's hash is kept, and whether the link still works is decided here, against
/// the database's copy, never by the token alone.
/// </summary>
public sealed class CredentialRequest
{
    public const int NonceBytes = 32;

    /// <summary>How many submissions, and so IMAP logins, one link can cause.</summary>
    public const int MaxVerificationAttempts = 5;

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
        LastSentAt = now;
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

    /// <summary>Submissions that claimed this link; capped at <see cref="MaxVerificationAttempts"/>.</summary>
    public int Attempts { get; private set; }

    /// <summary>While Verifying: when the claim lapses if its process died mid-check.</summary>
    public DateTimeOffset? VerifyingUntil { get; private set; }

    /// <summary>
    /// The link's token, encrypted by the portal (never in clear): what lets a reminder, a Resend and the status emails
    /// carry the very link the first email carried instead of minting another. Null for requests made before it was kept.
    /// </summary>
    public string? ProtectedToken { get; private set; }

    /// <summary>When an email carrying the link was last queued: the request, a reminder or a Resend.</summary>
    public DateTimeOffset LastSentAt { get; private set; }

    public int RemindersSent { get; private set; }
    public int Resends { get; private set; }

    /// <summary>How often the link was opened (GET and HEAD, a mail scanner's too); opening never uses it up.</summary>
    public int Opens { get; private set; }
    public DateTimeOffset? FirstOpenedAt { get; private set; }

    /// <summary>When both servers accepted the user's credentials through this link: from then on it shows the mailbox's status.</summary>
    public DateTimeOffset? AcceptedAt { get; private set; }

    /// <summary>When the user was emailed that a pass after their submission completed (once per submission).</summary>
    public DateTimeOffset? CompletionNotifiedAt { get; private set; }

    /// <summary>When the user was emailed that the migration failed after their submission (once per submission).</summary>
    public DateTimeOffset? FailureNotifiedAt { get; private set; }

    /// <summary>Still open: pending or being verified, neither used nor revoked.</summary>
    public bool IsOutstanding => State is CredentialRequestState.Pending or CredentialRequestState.Verifying;

    /// <summary>Creates a request and hands back the nonce for the link; the nonce itself is never stored.</summary>
    internal static (CredentialRequest Request, byte[] Nonce) Issue(int mailboxId, bool asksSource, bool asksDestination, DateTimeOffset now, TimeSpan lifetime)
    {
        if (!asksSource && !asksDestination)
            throw new ArgumentException("A credential request asks for at least one side.");
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        return (new CredentialRequest(mailboxId, asksSource, asksDestination, now, lifetime, nonce), nonce);
    }

    /// <summary>
    /// The link rule, written once: pending (or claimed by a submission whose claim lapsed), not expired, attempts
    /// left. The database runs it as the claim's WHERE clause (<see cref="UsableAt"/>), which is what lets exactly one
    /// of two concurrent submissions through; <see cref="IsUsable"/> is the same expression compiled.
    /// </summary>
    public static readonly Expression<Func<CredentialRequest, DateTimeOffset, bool>> Usable = (r, now) =>
        now < r.ExpiresAt && r.Attempts < MaxVerificationAttempts
        && (r.State == CredentialRequestState.Pending || (r.State == CredentialRequestState.Verifying && r.VerifyingUntil <= now));

    private static readonly Func<CredentialRequest, DateTimeOffset, bool> UsableCompiled = Usable.Compile();

    /// <summary>Whether opening the link shows the form.</summary>
    public bool IsUsable(DateTimeOffset now) => UsableCompiled(this, now);

    /// <summary><see cref="Usable"/> at one moment, for a query.</summary>
    public static Expression<Func<CredentialRequest, bool>> UsableAt(DateTimeOffset now)
    {
        var request = Usable.Parameters[0];
        // A captured variable (not a constant), so the query is parameterised and its plan cached; the compiler
        // builds the closure access, with no member looked up by name (safe under trimming and Native AOT).
        Expression<Func<DateTimeOffset>> moment = () => now;
        var body = new ReplaceParameter(Usable.Parameters[1], moment.Body).Visit(Usable.Body);
        return Expression.Lambda<Func<CredentialRequest, bool>>(body, request);
    }

    private sealed class ReplaceParameter(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    /// <summary>
    /// A server could not be reached: the link stays valid for another try, and an attempt that never reached the
    /// server the user typed for gives its attempt back (the cap is on guesses a server sees, not on outages).
    /// </summary>
    internal void ReleaseVerification(bool refundAttempt)
    {
        if (State != CredentialRequestState.Verifying)
            throw new InvalidOperationException("Only a request being verified can be released.");
        State = CredentialRequestState.Pending;
        VerifyingUntil = null;
        if (refundAttempt && Attempts > 0) Attempts--;
    }

    public bool Matches(ReadOnlySpan<byte> nonce) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(nonce), NonceHash);

    internal void Revoke(DateTimeOffset now)
    {
        if (!IsOutstanding) return;
        State = CredentialRequestState.Revoked;
        ClosedAt = now;
    }

    internal void MarkUsed(DateTimeOffset now, bool accepted)
    {
        if (!IsOutstanding)
            throw new InvalidOperationException("Only an outstanding credential request can be used.");
        State = CredentialRequestState.Used;
        VerifyingUntil = null;
        ClosedAt = now;
        if (accepted) AcceptedAt = now;
    }

    /// <summary>Keeps the link's token, encrypted by the caller, once, right after the request is issued.</summary>
    public void KeepLink(string protectedToken)
    {
        if (ProtectedToken is not null) throw new InvalidOperationException("This request's link is already kept.");
        ProtectedToken = protectedToken;
    }

    /// <summary>A reminder with the same link is queued now.</summary>
    public void RecordReminder(DateTimeOffset now)
    {
        RemindersSent++;
        LastSentAt = now;
    }

    /// <summary>When a Resend is next allowed, given the least time between two emails of one link.</summary>
    public DateTimeOffset ResendAllowedFrom(TimeSpan interval) => LastSentAt + interval;

    /// <summary>An admin's Resend with the same link is queued now.</summary>
    public void RecordResend(DateTimeOffset now)
    {
        Resends++;
        LastSentAt = now;
    }

    public void RecordCompletionNotified(DateTimeOffset now) => CompletionNotifiedAt ??= now;
    public void RecordFailureNotified(DateTimeOffset now) => FailureNotifiedAt ??= now;
}
