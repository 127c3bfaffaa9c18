using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>
/// Where a background action notes each mailbox it applied to, in the same transaction as the mailbox's change: a
/// worker that dies after the commit leaves no item looking undone (which the next worker would try again, and report
/// as refused because the mailbox has moved on), and one that dies before it leaves both undone.
/// </summary>
public interface IActionJournal
{
    /// <summary>Loads, tracked by <paramref name="db"/>, what <see cref="Applied"/> changes for these mailboxes.</summary>
    Task LoadAsync(PortalDbContext db, IReadOnlyCollection<int> mailboxIds, CancellationToken ct);

    /// <summary>The action was applied to the mailbox; saved with its change.</summary>
    void Applied(int mailboxId, DateTimeOffset now);
}
