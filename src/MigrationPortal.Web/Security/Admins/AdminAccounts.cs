using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using MigrationPortal.Email;
using MigrationPortal.Web.Security.TwoFactor;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Security.Admins;

public enum AdminAccountState { Active, Invited, Locked, Disabled }

public sealed record AdminAccount(string Id, string Email, AdminAccountState State, DateTimeOffset? LockedUntil, bool TwoFactor);

/// <summary>Why an account action was refused, in words for the admin who pressed it; nothing was changed.</summary>
public sealed class AdminAccountException(string message) : Exception(message);

/// <summary>
/// Admins managed by admins: invite one (an account without a password, and an email with a one-time link to choose
/// it), disable and enable, and reset (password and second factor removed, every session ended, a new link sent). The
/// link is Identity's password-reset token, which dies as soon as the account's security stamp changes: once used, or
/// after a later reset, it no longer works. An admin cannot disable or reset their own account, so there is always
/// someone left to undo it.
/// </summary>
public sealed class AdminAccounts(
    UserManager<IdentityUser> users,
    IEmailSender email,
    IOptions<PortalOptions> portal,
    IOptions<DataProtectionTokenProviderOptions> tokens,
    TimeProvider time,
    AuditLog audit)
{
    public const string SetPasswordPath = "/Admin/Account/SetPassword";
    /// <summary>How long an invitation or reset link works (Identity's token lifespan, set to this in PortalServices).</summary>
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromDays(3);

    /// <summary>A disabled account is locked out until the end of time; stores keep that date only to their own precision.</summary>
    private static readonly DateTimeOffset DisabledFrom = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static bool IsDisabled(IdentityUser account) => account.LockoutEnd >= DisabledFrom;

    public async Task<IReadOnlyList<AdminAccount>> ListAsync(CancellationToken ct)
    {
        var admins = await users.GetUsersInRoleAsync(PortalServices.AdminRole);
        var now = time.GetUtcNow();
        return admins.OrderBy(a => a.Email, StringComparer.OrdinalIgnoreCase).Select(a => new AdminAccount(a.Id, a.Email ?? a.UserName ?? a.Id,
            IsDisabled(a) ? AdminAccountState.Disabled
            : a.LockoutEnd > now ? AdminAccountState.Locked
            : a.PasswordHash is null ? AdminAccountState.Invited
            : AdminAccountState.Active,
            a.LockoutEnd > now && !IsDisabled(a) ? a.LockoutEnd : null,
            a.TwoFactorEnabled)).ToList();
    }

    /// <returns>Null when the email went out; otherwise why it did not (the account exists: Reset sends a new link).</returns>
    public async Task<string?> InviteAsync(string address, string invitedBy, CancellationToken ct)
    {
        address = address.Trim();
        if (await users.FindByEmailAsync(address) is not null)
            throw new AdminAccountException($"{address} already has an account.");
        var account = new IdentityUser { UserName = address, Email = address };
        Check(await users.CreateAsync(account));
        Check(await users.AddToRoleAsync(account, PortalServices.AdminRole));
        await audit.RecordAsync("Admin invited", address, "an email with a link to choose the password", ct);
        return await SendLinkAsync(account, invitedBy, reset: false, ct);
    }

    public async Task DisableAsync(string id, string actorId, CancellationToken ct)
    {
        var account = await OtherAdminAsync(id, actorId, "disable");
        await users.SetLockoutEnabledAsync(account, true);
        Check(await users.SetLockoutEndDateAsync(account, DateTimeOffset.MaxValue));
        // Every cookie it holds is refused from the next request (AdminSessionValidator checks the stamp and the lock).
        await users.UpdateSecurityStampAsync(account);
        await audit.RecordAsync("Admin disabled", account.Email, "cannot sign in; every session ended", ct);
    }

    public async Task EnableAsync(string id, string actorId, CancellationToken ct)
    {
        var account = await OtherAdminAsync(id, actorId, "enable");
        Check(await users.SetLockoutEndDateAsync(account, null));
        await users.ResetAccessFailedCountAsync(account);
        await audit.RecordAsync("Admin enabled", account.Email, "may sign in again", ct);
    }

    /// <returns>Null when the email went out; otherwise why it did not.</returns>
    public async Task<string?> ResetAsync(string id, string actorId, string actorEmail, CancellationToken ct)
    {
        var account = await OtherAdminAsync(id, actorId, "reset");
        if (account.PasswordHash is not null) Check(await users.RemovePasswordAsync(account));
        await ProtectedTokenUserStore.TurnOffAsync(users, account);
        await users.UpdateSecurityStampAsync(account);
        await audit.RecordAsync("Admin reset", account.Email, "password and two-factor sign-in removed, every session ended, a new link sent", ct);
        return await SendLinkAsync(account, actorEmail, reset: true, ct);
    }

    /// <summary>The account a set-password link is for, while the link still works; null for any wrong, used or old link.</summary>
    public async Task<IdentityUser?> FindForLinkAsync(string? id, string? code)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || string.IsNullOrEmpty(code) || code.Length > 2048) return null;
        if (await users.FindByIdAsync(id) is not { } account || IsDisabled(account)) return null;
        if (!await users.IsInRoleAsync(account, PortalServices.AdminRole)) return null;
        var token = Decode(code);
        return token is not null && await users.VerifyUserTokenAsync(account, users.Options.Tokens.PasswordResetTokenProvider,
            UserManager<IdentityUser>.ResetPasswordTokenPurpose, token) ? account : null;
    }

    /// <returns>The errors to show (the password's rules), or an empty list when the password was set.</returns>
    public async Task<IReadOnlyList<string>> SetPasswordAsync(IdentityUser account, string code, string password, CancellationToken ct)
    {
        var result = await users.ResetPasswordAsync(account, Decode(code) ?? "", password);
        if (!result.Succeeded) return result.Errors.Select(e => e.Description).ToList();
        account.EmailConfirmed = true;
        await users.UpdateAsync(account);
        await audit.RecordAsync("Admin password set", account.Email, "through the emailed link", ct, actor: account.Email);
        return [];
    }

    private async Task<string?> SendLinkAsync(IdentityUser account, string sender, bool reset, CancellationToken ct)
    {
        var token = await users.GeneratePasswordResetTokenAsync(account);
        var baseUrl = portal.Value.PublicBaseUrl?.TrimEnd('/')
            ?? throw new InvalidOperationException("Portal:PublicBaseUrl is not set, so no link can be emailed.");
        var link = new Uri($"{baseUrl}{SetPasswordPath}?id={Uri.EscapeDataString(account.Id)}&code={WebEncoders.Base64UrlEncode(System.Text.Encoding.UTF8.GetBytes(token))}");
        try
        {
            await email.SendAsync(AdminInvitationEmail.Compose(account.Email!, sender, link, time.GetUtcNow() + tokens.Value.TokenLifespan, reset), ct);
            return null;
        }
        catch (EmailDeliveryException e)
        {
            await audit.RecordAsync("Admin email not sent", account.Email, e.Message, ct);
            return e.Message;
        }
    }

    private async Task<IdentityUser> OtherAdminAsync(string id, string actorId, string verb)
    {
        if (id == actorId) throw new AdminAccountException($"You cannot {verb} your own account; another admin can.");
        var account = await users.FindByIdAsync(id);
        if (account is null || !await users.IsInRoleAsync(account, PortalServices.AdminRole))
            throw new AdminAccountException("That admin account no longer exists. Reload the page.");
        return account;
    }

    private static string? Decode(string code)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(code));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded) throw new AdminAccountException(string.Join(" ", result.Errors.Select(e => e.Description)));
    }
}
