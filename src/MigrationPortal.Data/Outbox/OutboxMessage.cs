namespace MigrationPortal.Data.Outbox;

public enum OutboxState
{
    Pending = 0,
    Sent = 1,
    Failed = 2,
}

/// <summary>
/// An email waiting to be delivered, saved in the same transaction as the change that asked for it, so a
/// restart between the two loses nothing. The message itself (it carries a one-time link) is kept encrypted
/// and dropped once delivered; the envelope stays for the admin's Outbox page.
/// </summary>
public sealed class OutboxMessage
{
    public const int MaxErrorLength = 1000;

    private OutboxMessage() { To = ""; Subject = ""; }

    public OutboxMessage(int? mailboxId, string to, string subject, string protectedContent, DateTimeOffset now)
    {
        MailboxId = mailboxId;
        To = to;
        Subject = subject;
        ProtectedContent = protectedContent;
        State = OutboxState.Pending;
        CreatedAt = now;
        NextAttemptAt = now;
    }

    public long Id { get; private set; }

    /// <summary>Null once the mailbox is deleted; the message's history stays.</summary>
    public int? MailboxId { get; private set; }
    public string To { get; private set; }
    public string Subject { get; private set; }

    /// <summary>The MIME message, DataProtection-protected; null after delivery.</summary>
    public string? ProtectedContent { get; private set; }

    public OutboxState State { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset NextAttemptAt { get; private set; }
    public DateTimeOffset? SentAt { get; private set; }
    public string? LastError { get; private set; }

    /// <summary>Set while a sender works on the message, so two instances never send it twice.</summary>
    public DateTimeOffset? LeaseUntil { get; private set; }

    public void MarkSent(DateTimeOffset now)
    {
        Attempts++;
        State = OutboxState.Sent;
        SentAt = now;
        LastError = null;
        LeaseUntil = null;
        ProtectedContent = null;
    }

    /// <summary>A failed attempt: retried after <paramref name="retryAfter"/>, or given up when that is null.</summary>
    public void MarkAttemptFailed(string error, DateTimeOffset now, TimeSpan? retryAfter)
    {
        Attempts++;
        LastError = error.Length > MaxErrorLength ? error[..MaxErrorLength] : error;
        LeaseUntil = null;
        if (retryAfter is { } delay)
        {
            NextAttemptAt = now + delay;
        }
        else
        {
            State = OutboxState.Failed;
            ProtectedContent = null;
        }
    }

    /// <summary>The message will never be sent (its link was revoked before delivery).</summary>
    public void Cancel(string why)
    {
        if (State != OutboxState.Pending) return;
        State = OutboxState.Failed;
        LastError = why;
        ProtectedContent = null;
        LeaseUntil = null;
    }
}
