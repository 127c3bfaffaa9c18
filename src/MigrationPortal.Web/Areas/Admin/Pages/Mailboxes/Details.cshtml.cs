using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.Statistics;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

public sealed class DetailsModel(PortalDbContext db) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    public Mailbox Mailbox { get; private set; } = null!;
    public string ProjectName { get; private set; } = "";
    public IReadOnlyList<MailboxEvent> History { get; private set; } = [];
    public IReadOnlyList<MigrationPass> Passes { get; private set; } = [];

    /// <summary>Each pass's folders, in the order the pass finished them.</summary>
    public ILookup<int, FolderStatisticsRow> Folders { get; private set; } = Array.Empty<FolderStatisticsRow>().ToLookup(f => f.PassNumber);

    /// <summary>The latest messages the destination refused, newest first.</summary>
    public IReadOnlyList<FailedMessageRow> FailedMessages { get; private set; } = [];
    public const int ShownFailures = 200;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == Id, ct);
        if (mailbox is null) return NotFound();
        Mailbox = mailbox;
        ProjectName = await db.Projects.Where(p => p.Id == mailbox.ProjectId).Select(p => p.Name).SingleAsync(ct);
        History = await db.MailboxEvents.AsNoTracking().Where(e => e.MailboxId == Id).OrderByDescending(e => e.Id).ToListAsync(ct);
        Passes = await db.MigrationPasses.AsNoTracking().Where(p => p.MailboxId == Id).OrderByDescending(p => p.Number).ToListAsync(ct);
        Folders = (await db.FolderStatistics.AsNoTracking().Where(f => f.MailboxId == Id).OrderBy(f => f.Id).ToListAsync(ct))
            .ToLookup(f => f.PassNumber);
        FailedMessages = await db.FailedMessages.AsNoTracking().Where(f => f.MailboxId == Id).OrderByDescending(f => f.Id).Take(ShownFailures).ToListAsync(ct);
        return Page();
    }
}
