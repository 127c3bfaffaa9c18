using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Security.TwoFactor;

/// <summary>
/// Identity's store, except that an admin's authenticator key and recovery codes are kept encrypted. Identity writes both
/// in clear into AspNetUserTokens, so anyone who read the database file or a backup could mint that admin's codes; here
/// they are protected like mailbox passwords, under a purpose of their own.
/// </summary>
/// <remarks>
/// Identity reads and writes these two secrets only through <see cref="UserStoreBase{TUser,TKey,TUserClaim,TUserLogin,TUserToken}.GetTokenAsync"/>
/// and <c>SetTokenAsync</c> with its internal login provider (the authenticator key's and recovery codes' own methods call
/// them), so protecting there covers reading, redeeming and counting alike.
/// </remarks>
public sealed partial class ProtectedTokenUserStore(PortalDbContext db, IDataProtectionProvider protection, ILogger<ProtectedTokenUserStore> logger, IdentityErrorDescriber? describer = null)
    : UserStore<IdentityUser, IdentityRole, PortalDbContext>(db, describer)
{
    public const string Purpose = "MigrationPortal.AdminTwoFactor.v1";

    /// <summary>Identity's own login provider name for the tokens its store keeps (UserStoreBase.InternalLoginProvider, private there).</summary>
    public const string InternalLoginProvider = "[AspNetUserStore]";

    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    /// <summary>Two-factor off for <paramref name="user"/>, and the app's key and the recovery codes gone with it.</summary>
    public static async Task TurnOffAsync(UserManager<IdentityUser> users, IdentityUser user)
    {
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.RemoveAuthenticationTokenAsync(user, InternalLoginProvider, "AuthenticatorKey");
        await users.RemoveAuthenticationTokenAsync(user, InternalLoginProvider, "RecoveryCodes");
    }

    public override Task SetTokenAsync(IdentityUser user, string loginProvider, string name, string? value, CancellationToken cancellationToken) =>
        base.SetTokenAsync(user, loginProvider, name, loginProvider == InternalLoginProvider && value is not null ? _protector.Protect(value) : value, cancellationToken);

    public override async Task<string?> GetTokenAsync(IdentityUser user, string loginProvider, string name, CancellationToken cancellationToken)
    {
        var stored = await base.GetTokenAsync(user, loginProvider, name, cancellationToken);
        if (loginProvider != InternalLoginProvider || stored is null) return stored;
        try
        {
            return _protector.Unprotect(stored);
        }
        catch (CryptographicException)
        {
            // The key that protected it is gone (see KeyRingCheck): the secret is as good as absent, so codes are refused
            // rather than the sign-in failing with a 500; another admin resets the account's two-factor sign-in.
            LogUnreadable(logger, user.Id, name);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The two-factor secret {Name} of admin account {UserId} cannot be decrypted (the key that protected it is missing); its codes are refused until another admin resets its two-factor sign-in")]
    private static partial void LogUnreadable(ILogger logger, string userId, string name);
}
