using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Licenses;

namespace MigrationPortal.Web.Areas.Admin.Pages.Licenses;

public sealed class IndexModel(PortalDbContext db, DatabaseWriteGate gate, MailboxRules rules, TimeProvider time, Security.AuditLog audit) : PageModel
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
            var pool = await LicensePoolStore.LoadAsync(db, ct);
            pool.Add(Input.Quantity, User.Identity?.Name ?? "admin", time.GetUtcNow(), Input.Note);
            using (await gate.EnterAsync(ct))
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await LicensePoolStore.ApplyAsync(db, pool, ct);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
            }
            Message = $"Added {Input.Quantity} {(Input.Quantity == 1 ? "license" : "licenses")}; {pool.Available} available.";
            await audit.RecordAsync("Licenses added", null, $"{Input.Quantity} added; {pool.Available} available", ct);
            return RedirectToPage();
        }
        catch (DomainValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            ModelState.AddModelError(string.Empty, "The database is busy; no licenses were added. Try again in a moment.");
        }
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        Available = await LicensePoolStore.AvailableAsync(db, ct);
        Movements = await db.LicenseMovements.AsNoTracking().OrderByDescending(m => m.Id).Take(ShownMovements).ToListAsync(ct);
    }
}
