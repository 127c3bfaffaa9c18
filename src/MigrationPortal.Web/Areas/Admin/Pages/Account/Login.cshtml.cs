using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Security;

namespace MigrationPortal.Web.Areas.Admin.Pages.Account;

/// <summary>
/// Sign-in, with failures limited per client address (<see cref="SignInThrottle"/>). A failure reads the same whether the account
/// does not exist, the password is wrong or the account is locked, so the page tells a stranger nothing about who is an admin.
/// </summary>
public sealed class LoginModel(SignInManager<IdentityUser> signIn, SignInThrottle throttle, IOptions<IdentityOptions> identity, AuditLog audit) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [TempData]
    public string? Message { get; set; }

    public sealed class InputModel
    {
        [Required, EmailAddress, StringLength(254)]
        public string Email { get; set; } = "";

        [Required, DataType(DataType.Password), StringLength(1024)]
        public string Password { get; set; } = "";
    }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (throttle.WaitBeforeNextTry(HttpContext) is { } wait)
        {
            SignInThrottle.Reject(Response, wait);
            return new EmptyResult();
        }
        if (!ModelState.IsValid) return Page();
        // No account's address holds a control character, and PostgreSQL could not even be asked for one with a NUL.
        if (Input.Email.Any(char.IsControl))
            ModelState.AddModelError($"{nameof(Input)}.{nameof(Input.Email)}", "The email address contains characters that are not allowed.");
        if (!ModelState.IsValid) return Page();

        var result = await signIn.PasswordSignInAsync(Input.Email, Input.Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            await audit.RecordAsync("Signed in", null, null, actor: Input.Email);
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/Admin");
        }
        // The password was right; the code from the authenticator app is asked for next, on its own page.
        if (result.RequiresTwoFactor)
            return RedirectToPage("/Account/LoginTwoFactor", new { ReturnUrl = Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : null });
        throttle.RecordFailure(HttpContext);
        // The address typed is recorded as typed (encoded wherever it is shown); the password never is.
        await audit.RecordAsync("Sign-in refused", null, result.IsLockedOut ? "the account is locked" : "wrong email or password", actor: Input.Email);

        ModelState.AddModelError(string.Empty, "The email or password is incorrect. " + SignInThrottle.LockoutNote(identity.Value.Lockout));
        return Page();
    }
}
