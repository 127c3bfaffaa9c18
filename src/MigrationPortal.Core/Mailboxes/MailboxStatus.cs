namespace MigrationPortal.Core.Mailboxes;

public enum MailboxStatus
{
    NotStarted = 0,
    Submitted = 1,
    WaitingForUser = 2,
    Migrating = 3,
    Completed = 4,
    Failed = 5,
    Stopped = 6,

    /// <summary>An admin pressed Stop while a worker copies: it ends the pass at the next message boundary.</summary>
    Stopping = 7,
}

public static class MailboxStatusText
{
    /// <summary>The words an admin sees, as MigrationWiz shows them.</summary>
    public static string ToDisplay(this MailboxStatus status) => status switch
    {
        MailboxStatus.NotStarted => "Not Started",
        MailboxStatus.Submitted => "Submitted",
        MailboxStatus.WaitingForUser => "Waiting for User",
        MailboxStatus.Migrating => "Migrating",
        MailboxStatus.Completed => "Completed",
        MailboxStatus.Failed => "Failed",
        MailboxStatus.Stopped => "Stopped",
        MailboxStatus.Stopping => "Stopping",
        _ => status.ToString(),
    };

    /// <summary>Active items are owned by a user's link or by the migration engine; admins stop them before changing them.</summary>
    public static bool IsActive(this MailboxStatus status) =>
        status is MailboxStatus.WaitingForUser or MailboxStatus.Submitted or MailboxStatus.Migrating or MailboxStatus.Stopping;
}
