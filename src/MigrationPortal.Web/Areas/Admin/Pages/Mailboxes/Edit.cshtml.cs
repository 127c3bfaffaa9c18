using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Web.Mailboxes;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

public sealed class EditModel(PortalDbContext db, MailboxUnitOfWork unitOfWork, IPasswordProtector protector, Security.AuditLog audit) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    [BindProperty]
    public MailboxInput Input { get; set; } = new();

    /// <summary>The mailbox's version when the form was loaded: saving over a newer one would lose that change.</summary>
    [BindProperty]
    public int Version { get; set; }

    /// <summary>The mailbox changed since the form was loaded; nothing was saved.</summary>
    public bool ChangedMeanwhile { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == Id, ct);
        if (mailbox is null) return NotFound();
        Input = MailboxInput.From(mailbox);
        Version = mailbox.Version;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var projectId = await db.Mailboxes.Where(m => m.Id == Id).Select(m => (int?)m.ProjectId).SingleOrDefaultAsync(ct);
        if (projectId is null) return NotFound();
        if (!ModelState.IsValid) return Page();
        if (await MailboxDuplicates.FindAsync(db, projectId.Value, Input.SourceEmail, Input.DestinationEmail, exceptMailboxId: Id, ct) is { } duplicate)
        {
            ModelState.AddModelError(string.Empty, duplicate);
            return Page();
        }
        var outcome = await unitOfWork.RunAsync(Id, null, (work, _) =>
        {
            var mailbox = work.Mailbox;
            mailbox.Edit(Input.Source(protector, mailbox.Source), Input.Destination(protector, mailbox.Destination),
                Input.NotifyEmail, User.Identity?.Name ?? "admin", work.Now);
            return Task.CompletedTask;
        }, ct, expectedVersion: Version);
        switch (outcome.Kind)
        {
            case MailboxOutcomeKind.Applied:
                await audit.RecordAsync("Mailbox edited", $"mailbox {Id}: {outcome.Label}",
                    string.IsNullOrEmpty(Input.SourcePassword) && string.IsNullOrEmpty(Input.DestinationPassword) ? "no password typed" : "a password typed", ct);
                return RedirectToPage("Details", new { id = Id });
            case MailboxOutcomeKind.Gone:
                return NotFound();
            case MailboxOutcomeKind.Changed:
                // The posted version stays in the form, so saving it again is refused again: the admin reloads first.
                ChangedMeanwhile = true;
                return Page();
            default:
                ModelState.AddModelError(string.Empty, outcome.Reason ?? MailboxOutcome.FailedText);
                return Page();
        }
    }
}
