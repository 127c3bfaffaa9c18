namespace MigrationPortal.Core.Mailboxes;

/// <summary>One line of a mailbox's history: what happened, who did it and what status it left.</summary>
public sealed class MailboxEvent
{
    private MailboxEvent() { Actor = ""; Description = ""; }

    internal MailboxEvent(DateTimeOffset at, string actor, MailboxStatus from, MailboxStatus to, string description)
    {
        At = at;
        Actor = actor;
        FromStatus = from;
        ToStatus = to;
        Description = description;
    }

    public long Id { get; private set; }
    public int MailboxId { get; private set; }
    public DateTimeOffset At { get; private set; }
    public string Actor { get; private set; }
    public MailboxStatus FromStatus { get; private set; }
    public MailboxStatus ToStatus { get; private set; }
    public string Description { get; private set; }
}
