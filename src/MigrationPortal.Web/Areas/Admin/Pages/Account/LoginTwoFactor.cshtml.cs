using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Security;
using MigrationPortal.Web.Security.TwoFactor;

namespace MigrationPortal.Web.Areas.Admin.Pages.Account;

/// <summary>
/// The second step of signing in, for an admin who has turned on two-factor sign-in: a code from the authenticator app,
/// or one of the recovery codes (each works once). Reached only with the short-lived cookie Identity sets when the
/// password was right; wrong codes count towards the same per-address throttle and account lockout as wrong passwords.
/// </summary>
public sealed class LoginTwoFactorModel(SignInManager<IdentityUser> signIn, SignInThrottle throttle, IOptions<IdentityOptions> identity, AuditLog audit) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public sealed class InputModel
    {
        [Required(ErrorMessage = "Type the code from your authenticator app, or a recovery code."), StringLength(64)]
        [Display(Name = "Code")]
        public string Code { get; set; } = "";
    }

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? RedirectToPage("/Account/Login") : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        if (throttle.WaitBeforeNextTry(HttpContext) is { } wait)
        {
            SignInThrottle.Reject(Response, wait);
            return new EmptyResult();
        }
        // Its cookie lasts five minutes: past that, or without it, the password is asked for again.
        if (await signIn.GetTwoFactorAuthenticationUserAsync() is not { } user) return RedirectToPage("/Account/Login");
        if (!ModelState.IsValid) return Page();

        var code = AuthenticatorSetup.Normalise(Input.Code);
        var isAppCode = AuthenticatorSetup.IsAppCode(code);
        var result = isAppCode
            ? await signIn.TwoFactorAuthenticatorSignInAsync(code, isPersistent: false, rememberClient: false)
            : await signIn.TwoFactorRecoveryCodeSignInAsync(code);
        if (result.Succeeded)
        {
            await audit.RecordAsync("Signed in", null, isAppCode ? "with an authenticator code" : "with a recovery code", actor: user.Email);
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/Admin");
        }
        throttle.RecordFailure(HttpContext);
        await audit.RecordAsync("Sign-in refused", null, result.IsLockedOut ? "the account is locked" : "wrong two-factor code", actor: user.Email);

        ModelState.AddModelError(string.Empty, "That code is not right. " + SignInThrottle.LockoutNote(identity.Value.Lockout));
        return Page();
    }
}
