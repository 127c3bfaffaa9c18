namespace MigrationPortal.Core.Mailboxes;

/// <summary>An action that the mailbox's current state does not allow. The message tells the admin what to do instead.</summary>
public sealed class MailboxTransitionException(string message) : Exception(message);
