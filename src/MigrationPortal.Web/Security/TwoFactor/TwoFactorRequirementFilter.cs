using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Security.TwoFactor;

/// <summary>
/// With <c>Admin:RequireTwoFactor</c> on, an admin whose account has no second factor yet is sent to set one up from
/// every admin page (the account pages excepted, so they can still do that and log out), and no handler of those pages
/// runs for them. Off by default: one query per admin request is spent only when it is asked for.
/// </summary>
public sealed class TwoFactorRequirementFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var services = context.HttpContext.RequestServices;
        if (services.GetRequiredService<IOptions<AdminOptions>>().Value.RequireTwoFactor
            && context.HttpContext.User.Identity?.IsAuthenticated == true)
        {
            var users = services.GetRequiredService<UserManager<IdentityUser>>();
            if (await users.GetUserAsync(context.HttpContext.User) is { TwoFactorEnabled: false })
            {
                context.Result = new RedirectToPageResult("/Account/TwoFactor", new { area = "Admin" });
                return;
            }
        }
        await next();
    }
}
