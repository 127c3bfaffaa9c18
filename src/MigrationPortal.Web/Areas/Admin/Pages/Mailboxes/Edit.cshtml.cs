using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Web.Mailboxes;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

public sealed class EditModel(PortalDbContext db, IPasswordProtector protector, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    [BindProperty]
    public MailboxInput Input { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == Id, ct);
        if (mailbox is null) return NotFound();
        Input = MailboxInput.From(mailbox);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var mailbox = await db.Mailboxes.WithLifecycleState().SingleOrDefaultAsync(m => m.Id == Id, ct);
        if (mailbox is null) return NotFound();
        if (!ModelState.IsValid) return Page();
        if (await MailboxDuplicates.FindAsync(db, mailbox.ProjectId, Input.SourceEmail, Input.DestinationEmail, exceptMailboxId: Id, ct) is { } duplicate)
        {
            ModelState.AddModelError(string.Empty, duplicate);
            return Page();
        }
        try
        {
            mailbox.Edit(Input.Source(protector, mailbox.Source), Input.Destination(protector, mailbox.Destination),
                Input.NotifyEmail, User.Identity?.Name ?? "admin", time.GetUtcNow());
            await db.SaveChangesAsync(ct);
            return RedirectToPage("Details", new { id = Id });
        }
        catch (Exception e) when (e is DomainValidationException or MailboxTransitionException)
        {
            ModelState.AddModelError(string.Empty, e.Message);
            return Page();
        }
        catch (DbUpdateConcurrencyException)
        {
            ModelState.AddModelError(string.Empty, "The mailbox changed while you were editing it. Reload the page and try again.");
            return Page();
        }
    }
}
