using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MigrationPortal.Web.Areas.Admin.Pages.Account;

/// <summary>
/// Logging out is a POST like every other state change; a GET only shows the button. It changes the account's security
/// stamp, so every cookie issued to this admin before (a copy of this one, another browser's) is refused from now on
/// (<see cref="Security.AdminSessionValidator"/>), not only the one this browser forgets.
/// </summary>
public sealed class LogoutModel(SignInManager<IdentityUser> signIn, UserManager<IdentityUser> users, Security.AuditLog audit) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is { } admin)
            await users.UpdateSecurityStampAsync(admin);
        await audit.RecordAsync("Logged out", null, "every session of this account ended");
        await signIn.SignOutAsync();
        return RedirectToPage("/Account/Login");
    }
}
