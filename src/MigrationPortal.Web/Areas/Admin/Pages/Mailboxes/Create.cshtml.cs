using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Web.Mailboxes;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

public sealed class CreateModel(PortalDbContext db, IPasswordProtector protector, TimeProvider time, Security.AuditLog audit) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int ProjectId { get; set; }

    [BindProperty]
    public MailboxInput Input { get; set; } = new();

    public string ProjectName { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) =>
        await LoadProjectAsync(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await LoadProjectAsync(ct)) return NotFound();
        if (!ModelState.IsValid) return Page();
        if (await MailboxDuplicates.FindAsync(db, ProjectId, Input.SourceEmail, Input.DestinationEmail, exceptMailboxId: null, ct) is { } duplicate)
        {
            ModelState.AddModelError(string.Empty, duplicate);
            return Page();
        }
        try
        {
            var mailbox = new Mailbox(ProjectId, Input.Source(protector, null), Input.Destination(protector, null),
                Input.NotifyEmail, User.Identity?.Name ?? "admin", time.GetUtcNow());
            db.Mailboxes.Add(mailbox);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync("Mailbox added", $"mailbox {mailbox.Id}: {mailbox.Label}", Web.Security.AuditLog.Passwords(mailbox.Source.IsKnown, mailbox.Destination.IsKnown), ct);
            return RedirectToPage("/Projects/Dashboard", new { id = ProjectId });
        }
        catch (DomainValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
            return Page();
        }
    }

    private async Task<bool> LoadProjectAsync(CancellationToken ct)
    {
        var name = await db.Projects.Where(p => p.Id == ProjectId).Select(p => p.Name).SingleOrDefaultAsync(ct);
        ProjectName = name ?? "";
        return name is not null;
    }
}
