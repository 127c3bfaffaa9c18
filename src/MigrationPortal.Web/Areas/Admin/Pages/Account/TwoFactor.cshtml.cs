using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Security;
using MigrationPortal.Web.Security.TwoFactor;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Areas.Admin.Pages.Account;

/// <summary>
/// The signed-in admin's own two-factor sign-in: set up an authenticator app (key and QR code, confirmed by a code from
/// the app), get new recovery codes, or turn it off. Every change but the first set-up asks for a current code, so a
/// session left open in someone else's hands cannot take the second factor away. Each change ends the account's other
/// sessions (Identity changes its security stamp) and keeps this one.
/// </summary>
public sealed class TwoFactorModel(UserManager<IdentityUser> users, SignInManager<IdentityUser> signIn, IOptions<AdminOptions> admin, AuditLog audit) : PageModel
{
    public const int RecoveryCodeCount = 10;

    [BindProperty]
    public CodeInput Input { get; set; } = new();

    public sealed class CodeInput
    {
        [Required(ErrorMessage = "Type a code from your authenticator app."), StringLength(64)]
        [Display(Name = "Code from the app")]
        public string Code { get; set; } = "";
    }

    public bool Enabled { get; private set; }
    public bool Required => admin.Value.RequireTwoFactor;
    public int RecoveryCodesLeft { get; private set; }
    /// <summary>Set while a key waits to be confirmed by a first code.</summary>
    public string? ReadableKey { get; private set; }
    public string? QrCodeSvg { get; private set; }
    /// <summary>Shown once, in the answer to the post that made them; never stored in clear, never shown again.</summary>
    public IReadOnlyList<string>? NewRecoveryCodes { get; private set; }

    [TempData]
    public string? StatusMessage { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (await users.GetUserAsync(User) is not { } user) return Challenge();
        await LoadAsync(user);
        return Page();
    }

    /// <summary>A new key for the app (a POST: a GET must change nothing). Until it is confirmed, sign-in stays as it was.</summary>
    public async Task<IActionResult> OnPostSetUpAsync()
    {
        if (await users.GetUserAsync(User) is not { } user) return Challenge();
        if (await users.GetTwoFactorEnabledAsync(user))
            return await RefuseAsync(user, "Two-factor sign-in is already on. To move it to another app, turn it off first (or ask another admin to reset it).");
        await users.ResetAuthenticatorKeyAsync(user);
        await signIn.RefreshSignInAsync(user);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEnableAsync()
    {
        if (await users.GetUserAsync(User) is not { } user) return Challenge();
        if (await users.GetTwoFactorEnabledAsync(user)) return RedirectToPage();
        if (!ModelState.IsValid || !await IsAppCodeAsync(user))
            return await RefuseAsync(user, "That code is not right. Check that the app shows the key above and that this device's clock is correct, then type the code it shows now.");

        await users.SetTwoFactorEnabledAsync(user, true);
        NewRecoveryCodes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount) ?? []];
        await signIn.RefreshSignInAsync(user);
        await audit.RecordAsync("Two-factor sign-in turned on", null, $"{RecoveryCodeCount} recovery codes issued");
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostRecoveryCodesAsync()
    {
        if (await users.GetUserAsync(User) is not { } user) return Challenge();
        if (!await users.GetTwoFactorEnabledAsync(user)) return RedirectToPage();
        if (!ModelState.IsValid || !await IsCurrentCodeAsync(user))
            return await RefuseAsync(user, "That code is not right: type the code your app shows now, or one of your recovery codes.");

        NewRecoveryCodes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount) ?? []];
        await audit.RecordAsync("Recovery codes replaced", null, $"{RecoveryCodeCount} new codes; the old ones no longer work");
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync()
    {
        if (await users.GetUserAsync(User) is not { } user) return Challenge();
        if (!await users.GetTwoFactorEnabledAsync(user)) return RedirectToPage();
        if (Required)
            return await RefuseAsync(user, "Two-factor sign-in is required for every admin here (Admin:RequireTwoFactor), so it cannot be turned off. To move it to another app, ask another admin to reset it.");
        if (!ModelState.IsValid || !await IsCurrentCodeAsync(user))
            return await RefuseAsync(user, "That code is not right: type the code your app shows now, or one of your recovery codes.");

        await ProtectedTokenUserStore.TurnOffAsync(users, user);
        await signIn.RefreshSignInAsync(user);
        await audit.RecordAsync("Two-factor sign-in turned off", null, "the app's key and the recovery codes were removed");
        StatusMessage = "Two-factor sign-in is off. Your password alone signs you in.";
        return RedirectToPage();
    }

    private async Task<bool> IsAppCodeAsync(IdentityUser user)
    {
        var code = AuthenticatorSetup.Normalise(Input.Code);
        return AuthenticatorSetup.IsAppCode(code)
            && await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code);
    }

    /// <summary>A code from the app, or a recovery code (which is used up by this).</summary>
    private async Task<bool> IsCurrentCodeAsync(IdentityUser user)
    {
        if (await IsAppCodeAsync(user)) return true;
        var code = AuthenticatorSetup.Normalise(Input.Code);
        return code.Length > 6 && (await users.RedeemTwoFactorRecoveryCodeAsync(user, code)).Succeeded;
    }

    private async Task<IActionResult> RefuseAsync(IdentityUser user, string message)
    {
        ModelState.AddModelError(string.Empty, message);
        await LoadAsync(user);
        return Page();
    }

    private async Task LoadAsync(IdentityUser user)
    {
        Enabled = await users.GetTwoFactorEnabledAsync(user);
        RecoveryCodesLeft = Enabled ? await users.CountRecoveryCodesAsync(user) : 0;
        if (!Enabled && await users.GetAuthenticatorKeyAsync(user) is { Length: > 0 } key)
        {
            ReadableKey = AuthenticatorSetup.Readable(key);
            QrCodeSvg = AuthenticatorSetup.QrCodeSvg(AuthenticatorSetup.KeyUri(user.Email ?? user.UserName ?? "admin", key));
        }
    }
}
