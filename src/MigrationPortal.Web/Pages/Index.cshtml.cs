using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MigrationPortal.Web.Pages;

/// <summary>The public side of the portal is only the emailed credential link; the root leads admins to their area.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Projects/Index", new { area = "Admin" });
}
