using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Web.Security.Admins;

namespace MigrationPortal.Web.Areas.Admin.Pages.Admins;

/// <summary>The admin accounts: invite, disable, enable, reset. Each press is one call into <see cref="AdminAccounts"/>.</summary>
public sealed class IndexModel(AdminAccounts accounts, UserManager<IdentityUser> users) : PageModel
{
    [BindProperty]
    public InviteInput Input { get; set; } = new();

    public sealed class InviteInput
    {
        [Required, EmailAddress, StringLength(254), Display(Name = "Email of the new admin")]
        public string Email { get; set; } = "";
    }

    [TempData]
    public string? Message { get; set; }

    public IReadOnlyList<AdminAccount> Admins { get; private set; } = [];
    public string? CurrentId { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostInviteAsync(CancellationToken ct)
    {
        if (Input.Email.Any(char.IsControl))
            ModelState.AddModelError($"{nameof(Input)}.{nameof(Input.Email)}", "The email address contains characters that are not allowed.");
        if (!ModelState.IsValid) return await PageAsync(ct);
        return await ActAsync(async () =>
        {
            var notSent = await accounts.InviteAsync(Input.Email, Actor, ct);
            return notSent is null
                ? $"Invited {Input.Email.Trim()}: they choose their password from the link in the email (it works for {AdminAccounts.LinkLifetime.TotalDays:0} days)."
                : $"The account {Input.Email.Trim()} was made, but the email could not be sent ({notSent}). Press Reset on it to send a new link.";
        }, ct);
    }

    public Task<IActionResult> OnPostDisableAsync(string id, CancellationToken ct) =>
        ActAsync(async () =>
        {
            await accounts.DisableAsync(id, users.GetUserId(User) ?? "", ct);
            return "Disabled: that admin cannot sign in, and their open sessions have ended.";
        }, ct);

    public Task<IActionResult> OnPostEnableAsync(string id, CancellationToken ct) =>
        ActAsync(async () =>
        {
            await accounts.EnableAsync(id, users.GetUserId(User) ?? "", ct);
            return "Enabled: that admin can sign in again.";
        }, ct);

    public Task<IActionResult> OnPostResetAsync(string id, CancellationToken ct) =>
        ActAsync(async () =>
        {
            var notSent = await accounts.ResetAsync(id, users.GetUserId(User) ?? "", Actor, ct);
            return notSent is null
                ? "Reset: that admin's password and two-factor sign-in were removed and their sessions ended; they choose a new password from the link just emailed to them."
                : $"Reset: that admin's password and two-factor sign-in were removed, but the email could not be sent ({notSent}). Press Reset again to retry.";
        }, ct);

    private string Actor => User.Identity?.Name ?? "an admin";

    private async Task<IActionResult> ActAsync(Func<Task<string>> action, CancellationToken ct)
    {
        try
        {
            Message = await action();
            return RedirectToPage();
        }
        catch (AdminAccountException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
            return await PageAsync(ct);
        }
    }

    private async Task<IActionResult> PageAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Admins = await accounts.ListAsync(ct);
        CurrentId = users.GetUserId(User);
    }
}
