using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>
/// A project holds one mailbox per source and destination address pair, compared case-insensitively: a second
/// one would migrate the same mail twice. Add, Edit and Bulk Add all ask here before saving.
/// </summary>
public static class MailboxDuplicates
{
    /// <returns>Why the pair is refused, naming the mailbox already there; null when it is free.</returns>
    /// <param name="exceptMailboxId">The mailbox being edited, which may keep its own addresses.</param>
    public static async Task<string?> FindAsync(PortalDbContext db, int projectId, string sourceEmail, string destinationEmail,
        int? exceptMailboxId, CancellationToken ct) =>
        (await PairsAsync(db, projectId, exceptMailboxId, ct)).Refusal(sourceEmail, destinationEmail);

    /// <summary>The project's address pairs, read in one query, to check many candidates against (Bulk Add).</summary>
    public static async Task<MailboxPairs> PairsAsync(PortalDbContext db, int projectId, int? exceptMailboxId, CancellationToken ct)
    {
        // Compared here rather than with SQL lower(): SQLite's folds ASCII only, PostgreSQL's all of Unicode,
        // and the rule must not depend on the provider. A project's address pairs are small enough to read.
        var pairs = await db.Mailboxes.AsNoTracking()
            .Where(m => m.ProjectId == projectId && m.Id != exceptMailboxId)
            .Select(m => new { Source = m.Source.Email, Destination = m.Destination.Email })
            .ToListAsync(ct);
        var set = new MailboxPairs();
        foreach (var pair in pairs)
            set.Add(pair.Source, pair.Destination);
        return set;
    }
}

/// <summary>Source and destination address pairs, compared as a project compares them: trimmed, case-insensitively.</summary>
public sealed class MailboxPairs
{
    /// <summary>How two <see cref="Key"/>s compare: the addresses' case does not matter.</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    private readonly Dictionary<string, (string Source, string Destination)> _pairs = new(Comparer);

    /// <returns>False when the set already has the pair.</returns>
    public bool Add(string sourceEmail, string destinationEmail) =>
        _pairs.TryAdd(Key(sourceEmail, destinationEmail), (sourceEmail.Trim(), destinationEmail.Trim()));

    /// <returns>Why the pair is refused, naming the mailbox already there; null when it is free.</returns>
    public string? Refusal(string sourceEmail, string destinationEmail) =>
        _pairs.TryGetValue(Key(sourceEmail, destinationEmail), out var existing)
            ? $"This project already has a mailbox from {existing.Source} to {existing.Destination}."
            : null;

    /// <summary>
    /// One key per pair, to compare with <see cref="Comparer"/>: the NUL between the addresses cannot be in either
    /// (addresses refuse control characters), so two different pairs never make the same key.
    /// </summary>
    public static string Key(string sourceEmail, string destinationEmail) => sourceEmail.Trim() + "\0" + destinationEmail.Trim();
}
