using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Core;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

public sealed class EditModel(PortalDbContext db) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    [BindProperty]
    public ProjectInput Input { get; set; } = new();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var project = await db.Projects.FindAsync([Id], ct);
        if (project is null) return NotFound();
        Input = ProjectInput.From(project);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var project = await db.Projects.FindAsync([Id], ct);
        if (project is null) return NotFound();
        if (!ModelState.IsValid) return Page();
        try
        {
            project.Update(Input.Name, Input.Source(), Input.Destination(), Input.MaxConcurrentMigrations);
            await db.SaveChangesAsync(ct);
            return RedirectToPage("Dashboard", new { id = project.Id });
        }
        catch (DomainValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
            return Page();
        }
    }
}
