namespace MigrationPortal.Core.Mailboxes;

public enum MailboxAction
{
    Start,
    Stop,
    RequestStop,
    ClearCredentials,
    Delete,
    Edit,
    SubmitCredentials,
    BeginPass,
    RecordProgress,
    CompletePass,
    Fail,
    VerifyCredentials,

    /// <summary>Resend request or a reminder: the same link emailed again to a user who has not answered.</summary>
    RemindUser,
}

/// <summary>The lifecycle in one table: which action is allowed from which status, and what to tell an admin otherwise.</summary>
public static class MailboxTransitions
{
    private static readonly MailboxStatus[] Inactive =
        [MailboxStatus.NotStarted, MailboxStatus.Stopped, MailboxStatus.Completed, MailboxStatus.Failed];

    private static readonly Dictionary<MailboxAction, MailboxStatus[]> AllowedFrom = new()
    {
        [MailboxAction.Start] = Inactive,
        [MailboxAction.Stop] = [MailboxStatus.WaitingForUser, MailboxStatus.Submitted, MailboxStatus.Migrating, MailboxStatus.Stopping],
        [MailboxAction.RequestStop] = [MailboxStatus.Migrating],
        [MailboxAction.ClearCredentials] = Inactive,
        [MailboxAction.Delete] = Inactive,
        [MailboxAction.Edit] = Inactive,
        [MailboxAction.SubmitCredentials] = [MailboxStatus.WaitingForUser],
        [MailboxAction.BeginPass] = [MailboxStatus.Submitted],
        [MailboxAction.RecordProgress] = [MailboxStatus.Migrating, MailboxStatus.Stopping],
        [MailboxAction.CompletePass] = [MailboxStatus.Migrating],
        [MailboxAction.Fail] = [MailboxStatus.WaitingForUser, MailboxStatus.Submitted, MailboxStatus.Migrating, MailboxStatus.Stopping],
        [MailboxAction.VerifyCredentials] = [.. Inactive, MailboxStatus.Submitted],
        [MailboxAction.RemindUser] = [MailboxStatus.WaitingForUser],
    };

    public static bool IsAllowed(MailboxStatus from, MailboxAction action) => AllowedFrom[action].Contains(from);

    public static string RefusalMessage(MailboxStatus from, MailboxAction action)
    {
        var status = from.ToDisplay();
        return action switch
        {
            MailboxAction.Start when from == MailboxStatus.Stopping => "It is Stopping: start it again once its pass has ended.",
            MailboxAction.Start => $"It is already {status}; stop it before starting it again.",
            MailboxAction.Delete or MailboxAction.ClearCredentials or MailboxAction.Edit when from == MailboxStatus.Stopping =>
                "It is Stopping: wait for its pass to end.",
            MailboxAction.Stop => $"It is {status}, so there is nothing to stop.",
            MailboxAction.Delete when from == MailboxStatus.WaitingForUser =>
                "It is Waiting for User: Stop it first, then delete it.",
            MailboxAction.Delete or MailboxAction.ClearCredentials or MailboxAction.Edit =>
                $"It is {status}: Stop it first.",
            MailboxAction.SubmitCredentials => $"It is {status}, so it is not waiting for credentials.",
            MailboxAction.RemindUser => $"It is {status}: only a mailbox Waiting for User has a request to send again.",
            MailboxAction.VerifyCredentials => $"It is {status}; verify its credentials when it is not being migrated or waiting for its user.",
            _ => $"It is {status}; {action} is not possible now.",
        };
    }
}
