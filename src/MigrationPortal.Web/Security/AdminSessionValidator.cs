using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Security;

/// <summary>
/// Checks an admin's sign-in cookie against the account on every request: a cookie whose account was deleted, is
/// locked, or whose security stamp changed since the cookie was issued (Log out changes it) is refused at once, so a
/// copied or stolen cookie stops working the moment the admin logs out or is shut out.
/// Identity's own <see cref="SecurityStampValidator"/> does the stamp part only every so often (30 minutes by default),
/// and when it does, it rebuilds the principal and reissues the cookie (four queries); it never looks at the lockout.
/// This is one query by primary key, and the cookie is left as it is.
/// </summary>
public static class AdminSessionValidator
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var claims = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity;
        var id = context.Principal?.FindFirstValue(claims.UserIdClaimType);
        var stamp = context.Principal?.FindFirstValue(claims.SecurityStampClaimType);
        if (id is not null && stamp is not null)
        {
            var account = await services.GetRequiredService<PortalDbContext>().Users.AsNoTracking()
                .Where(u => u.Id == id).Select(u => new { u.SecurityStamp, u.LockoutEnd })
                .SingleOrDefaultAsync(context.HttpContext.RequestAborted);
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            if (account is not null && account.SecurityStamp == stamp && !(account.LockoutEnd > now))
                return;
        }
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }
}
