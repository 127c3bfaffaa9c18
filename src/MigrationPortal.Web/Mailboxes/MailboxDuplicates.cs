using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>
/// A project holds one mailbox per source and destination address pair, compared case-insensitively: a second
/// one would migrate the same mail twice. Add and Edit both ask here before saving.
/// </summary>
public static class MailboxDuplicates
{
    /// <returns>Why the pair is refused, naming the mailbox already there; null when it is free.</returns>
    /// <param name="exceptMailboxId">The mailbox being edited, which may keep its own addresses.</param>
    public static async Task<string?> FindAsync(PortalDbContext db, int projectId, string sourceEmail, string destinationEmail,
        int? exceptMailboxId, CancellationToken ct)
    {
        var source = sourceEmail.Trim();
        var destination = destinationEmail.Trim();
        // Compared here rather than with SQL lower(): SQLite's folds ASCII only, PostgreSQL's all of Unicode,
        // and the rule must not depend on the provider. A project's address pairs are small enough to read.
        var pairs = await db.Mailboxes.AsNoTracking()
            .Where(m => m.ProjectId == projectId && m.Id != exceptMailboxId)
            .Select(m => new { Source = m.Source.Email, Destination = m.Destination.Email })
            .ToListAsync(ct);
        var existing = pairs.FirstOrDefault(p =>
            string.Equals(p.Source, source, StringComparison.OrdinalIgnoreCase)
            && string.Equals(p.Destination, destination, StringComparison.OrdinalIgnoreCase));
        return existing is null
            ? null
            : $"This project already has a mailbox from {existing.Source} to {existing.Destination}.";
    }
}
