using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Web.Security.Admins;

namespace MigrationPortal.Web.Areas.Admin.Pages.Account;

/// <summary>
/// Where an invited or reset admin chooses a password, from the emailed link. A wrong, used or expired link gets one
/// neutral page; the link works once (setting the password changes the security stamp the token was bound to).
/// </summary>
public sealed class SetPasswordModel(AdminAccounts accounts) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Id { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public sealed class InputModel
    {
        [Required, DataType(DataType.Password), StringLength(1024), Display(Name = "New password")]
        public string Password { get; set; } = "";

        [Required, DataType(DataType.Password), Compare(nameof(Password), ErrorMessage = "The two passwords differ."), Display(Name = "The same password again")]
        public string Confirm { get; set; } = "";
    }

    public string? Email { get; private set; }
    public bool LinkWorks { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        await FindAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (await FindAsync() is not { } account || !ModelState.IsValid) return Page();
        var errors = await accounts.SetPasswordAsync(account, Code!, Input.Password, ct);
        foreach (var error in errors)
            ModelState.AddModelError($"{nameof(Input)}.{nameof(Input.Password)}", error);
        if (errors.Count > 0) return Page();
        TempData["Message"] = "Your password is set. Sign in with it.";
        return RedirectToPage("/Account/Login");
    }

    private async Task<IdentityUser?> FindAsync()
    {
        var account = await accounts.FindForLinkAsync(Id, Code);
        LinkWorks = account is not null;
        Email = account?.Email;
        return account;
    }
}
