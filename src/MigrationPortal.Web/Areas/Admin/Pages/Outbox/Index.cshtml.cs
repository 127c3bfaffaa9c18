using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Email;

namespace MigrationPortal.Web.Areas.Admin.Pages.Outbox;

/// <summary>One outbox message as the admin sees it: the envelope and how delivery went, never the content.</summary>
public sealed record OutboxRow(
    long Id,
    int? MailboxId,
    DateTimeOffset CreatedAt,
    string To,
    string Subject,
    OutboxState State,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    DateTimeOffset? SentAt,
    string? LastError)
{
    public const int MaxShown = 500;

    /// <summary>The newest <see cref="MaxShown"/> of <paramref name="messages"/>, newest first.</summary>
    public static IQueryable<OutboxRow> Latest(IQueryable<OutboxMessage> messages) =>
        messages.AsNoTracking()
            .OrderByDescending(m => m.Id)
            .Take(MaxShown)
            .Select(m => new OutboxRow(m.Id, m.MailboxId, m.CreatedAt, m.To, m.Subject, m.State, m.Attempts, m.NextAttemptAt, m.SentAt, m.LastError));
}

/// <summary>What the shared _OutboxMessages partial renders: the Outbox page's table, or one mailbox's.</summary>
public sealed record OutboxTable(string Id, string? Heading, IReadOnlyList<OutboxRow> Rows, string EmptyText, bool LinkMailbox);

public sealed class IndexModel(PortalDbContext db, EmailDeliveryDescription delivery) : PageModel
{
    public IReadOnlyDictionary<OutboxState, int> Counts { get; private set; } = new Dictionary<OutboxState, int>();
    public IReadOnlyList<OutboxRow> Rows { get; private set; } = [];
    public string Delivery => delivery.Describe();

    public async Task OnGetAsync(CancellationToken ct)
    {
        var counts = await db.OutboxMessages
            .GroupBy(m => m.State)
            .Select(g => new { State = g.Key, Count = g.Count() })
            .ToDictionaryAsync(c => c.State, c => c.Count, ct);
        Counts = Enum.GetValues<OutboxState>().ToDictionary(s => s, s => counts.GetValueOrDefault(s));
        Rows = await OutboxRow.Latest(db.OutboxMessages).ToListAsync(ct);
    }
}
