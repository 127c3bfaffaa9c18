using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>Where a mailbox's open credential request stands: what the dashboard says of an item Waiting for User.</summary>
public sealed record OpenRequest(int MailboxId, DateTimeOffset RequestedAt, DateTimeOffset LastSentAt, int RemindersSent, int Resends,
    int Opens, DateTimeOffset? FirstOpenedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>One line: sent when, reminders and resends, opened or not, and until when the link works.</summary>
    public string Describe(DateTimeOffset now)
    {
        var parts = new List<string> { $"Request sent {RequestedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC" };
        if (RemindersSent > 0) parts.Add(RemindersSent == 1 ? "1 reminder" : $"{RemindersSent} reminders");
        if (Resends > 0) parts.Add(Resends == 1 ? "resent once" : $"resent {Resends} times");
        if (RemindersSent + Resends > 0) parts.Add($"last sent {LastSentAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        parts.Add(FirstOpenedAt is { } opened
            ? $"link opened {(Opens == 1 ? "once" : $"{Opens} times")} (first {opened.UtcDateTime:yyyy-MM-dd HH:mm} UTC)"
            : "link not opened");
        parts.Add(now < ExpiresAt ? $"expires {ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : $"expired {ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
        return string.Join(" · ", parts);
    }

    /// <summary>The open request of each of these mailboxes that has one (one query for a dashboard page).</summary>
    public static async Task<Dictionary<int, OpenRequest>> ForAsync(PortalDbContext db, IReadOnlyCollection<int> mailboxIds, CancellationToken ct)
    {
        var ids = mailboxIds.ToArray();
        var rows = await db.CredentialRequests.AsNoTracking()
            .Where(r => EF.Parameter(ids).Contains(r.MailboxId)
                        && (r.State == CredentialRequestState.Pending || r.State == CredentialRequestState.Verifying))
            .Select(r => new OpenRequest(r.MailboxId, r.CreatedAt, r.LastSentAt, r.RemindersSent, r.Resends, r.Opens, r.FirstOpenedAt, r.ExpiresAt))
            .ToListAsync(ct);
        return rows.GroupBy(r => r.MailboxId).ToDictionary(g => g.Key, g => g.MaxBy(r => r.RequestedAt)!);
    }
}
