using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>The columns the dashboard can be sorted by.</summary>
public enum MailboxSort
{
    /// <summary>In the order they were added (the id).</summary>
    Added,
    Source,
    Destination,
    Status,

    /// <summary>When the status last moved.</summary>
    Changed,
}

/// <summary>
/// Which of a project's mailboxes the dashboard shows, and in which order: a status filter and an address search,
/// applied alike to the page, to "select all matching", to the progress the page's script asks for and to the CSV export.
/// Parsed from the query string; a value that does not parse is dropped and said so in <see cref="Problems"/>.
/// </summary>
public sealed record MailboxFilter(MailboxStatus? Status, string? Search, MailboxSort Sort, bool Descending)
{
    public const int MaxSearchLength = 254;

    public static MailboxFilter All { get; } = new(null, null, MailboxSort.Added, false);

    /// <summary>What could not be used of the query as typed, in words for the admin.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public bool IsFiltered => Status is not null || Search is not null;

    public static MailboxFilter Parse(string? status, string? search, string? sort, bool descending)
    {
        var problems = new List<string>();
        MailboxStatus? parsedStatus = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (ParseName<MailboxStatus>(status) is { } s)
                parsedStatus = s;
            else
                problems.Add("There is no status \"" + Truncate(status.Trim()) + "\": showing every status.");
        }

        string? parsedSearch = null;
        if (!string.IsNullOrWhiteSpace(search))
        {
            parsedSearch = search.Trim();
            if (parsedSearch.Length > MaxSearchLength)
            {
                problems.Add($"The search was cut to its first {MaxSearchLength} characters (no address is longer).");
                parsedSearch = parsedSearch[..MaxSearchLength];
            }
        }

        var parsedSort = MailboxSort.Added;
        if (!string.IsNullOrWhiteSpace(sort))
        {
            if (ParseName<MailboxSort>(sort) is { } named)
                parsedSort = named;
            else
                problems.Add("The list cannot be sorted by \"" + Truncate(sort.Trim()) + "\": it is in the order the mailboxes were added.");
        }
        return new MailboxFilter(parsedStatus, parsedSearch, parsedSort, descending) { Problems = problems };
    }

    /// <summary>The project's mailboxes this filter matches, sorted, every sort ending on the id so pages never overlap.</summary>
    public IQueryable<Mailbox> Apply(PortalDbContext db, int projectId)
    {
        var query = db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == projectId);
        if (Status is { } status)
            query = query.Where(m => m.Status == status);
        if (Search is { } search)
        {
            // Case-insensitive substring of either address. lower() folds ASCII only on SQLite and all of Unicode on
            // PostgreSQL; addresses are ASCII almost always, and the search is a convenience, not a rule.
            var needle = search.ToLowerInvariant();
            query = query.Where(m => m.Source.Email.ToLower().Contains(needle) || m.Destination.Email.ToLower().Contains(needle));
        }
        return (Sort, Descending) switch
        {
            (MailboxSort.Source, false) => query.OrderBy(m => m.Source.Email).ThenBy(m => m.Id),
            (MailboxSort.Source, true) => query.OrderByDescending(m => m.Source.Email).ThenByDescending(m => m.Id),
            (MailboxSort.Destination, false) => query.OrderBy(m => m.Destination.Email).ThenBy(m => m.Id),
            (MailboxSort.Destination, true) => query.OrderByDescending(m => m.Destination.Email).ThenByDescending(m => m.Id),
            (MailboxSort.Status, false) => query.OrderBy(m => m.Status).ThenBy(m => m.Id),
            (MailboxSort.Status, true) => query.OrderByDescending(m => m.Status).ThenByDescending(m => m.Id),
            (MailboxSort.Changed, false) => query.OrderBy(m => m.StatusChangedAt ?? m.CreatedAt).ThenBy(m => m.Id),
            (MailboxSort.Changed, true) => query.OrderByDescending(m => m.StatusChangedAt ?? m.CreatedAt).ThenByDescending(m => m.Id),
            (_, false) => query.OrderBy(m => m.Id),
            (_, true) => query.OrderByDescending(m => m.Id),
        };
    }

    /// <summary>Every id the filter matches, for a toolbar action on "all matching".</summary>
    public Task<List<int>> IdsAsync(PortalDbContext db, int projectId, CancellationToken ct) =>
        Apply(db, projectId).Select(m => m.Id).ToListAsync(ct);

    /// <summary>The route values that reproduce this filter in a link (null ones are left out of the address).</summary>
    public Dictionary<string, string?> RouteValues() => new()
    {
        ["status"] = Status?.ToString(),
        ["q"] = Search,
        ["sort"] = Sort == MailboxSort.Added ? null : Sort.ToString().ToLowerInvariant(),
        ["desc"] = Descending ? "true" : null,
    };

    /// <summary>A member of <typeparamref name="T"/> by its name, any case. Names only: "5" would parse as the fifth member, and an undefined number as none.</summary>
    private static T? ParseName<T>(string text) where T : struct, Enum =>
        Enum.TryParse<T>(text.Trim(), ignoreCase: true, out var value) && Enum.IsDefined(value) && !text.Trim().All(char.IsAsciiDigit) ? value : null;

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>How many of a project's mailboxes are in each status: the counts at the top of the dashboard.</summary>
public static class MailboxStatusCounts
{
    public static async Task<IReadOnlyDictionary<MailboxStatus, int>> ForProjectAsync(PortalDbContext db, int projectId, CancellationToken ct) =>
        await db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == projectId)
            .GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, ct);
}
