using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Areas.Admin.Pages.Licenses;

public sealed class IndexModel(PortalDbContext db, MailboxRules rules, TimeProvider time) : PageModel
{
    public const int ShownMovements = 500;

    [BindProperty]
    public InputModel Input { get; set; } = new();

    [TempData]
    public string? Message { get; set; }

    public int Available { get; private set; }
    public LicensePolicy Policy => rules.Licenses;
    public IReadOnlyList<LicenseMovement> Movements { get; private set; } = [];

    public sealed class InputModel
    {
        [Range(1, LicensePool.MaxAddAtOnce), Display(Name = "Licenses to add")]
        public int Quantity { get; set; } = 1;

        [StringLength(200), Display(Name = "Note (order number, who paid)")]
        public string? Note { get; set; }
    }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            await LoadAsync(ct);
            return Page();
        }
        try
        {
            var pool = await db.LicensePools.SingleAsync(p => p.Id == LicensePool.SingletonId, ct);
            pool.Add(Input.Quantity, User.Identity?.Name ?? "admin", time.GetUtcNow(), Input.Note);
            await db.SaveChangesAsync(ct);
            Message = $"Added {Input.Quantity} {(Input.Quantity == 1 ? "license" : "licenses")}; {pool.Available} available.";
            return RedirectToPage();
        }
        catch (DomainValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
        }
        catch (DbUpdateConcurrencyException)
        {
            ModelState.AddModelError(string.Empty, "Licenses moved while you were adding them. Try again.");
        }
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        Available = await db.LicensePools.Where(p => p.Id == LicensePool.SingletonId).Select(p => p.Available).SingleAsync(ct);
        Movements = await db.LicenseMovements.AsNoTracking().OrderByDescending(m => m.Id).Take(ShownMovements).ToListAsync(ct);
    }
}
