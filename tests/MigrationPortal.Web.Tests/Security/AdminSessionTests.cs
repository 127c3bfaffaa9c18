using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// An admin's sign-in cookie is only as good as the account behind it: a copy of it (taken by an attacker, left in
/// another browser) stops working when the admin logs out, when the account is deleted, and while it is locked.
/// </summary>
public sealed class AdminSessionTests
{
    private const string Login = "/Admin/Account/Login";

    [Fact]
    public async Task CopiedCookie_AfterTheAdminLoggedOut_IsRefused()
    {
        await using var portal = new PortalFactory();
        var (admin, copy) = await SignedInWithACopyAsync(portal);
        try
        {
            Assert.Equal("/Admin/Projects", await copy.LandsOnAsync("/Admin/Projects"));
            var licenses = await copy.GetAsync("/Admin/Licenses");

            var logout = await admin.Client.GetAsync("/Admin/Account/Logout");
            await admin.Client.SubmitAsync(AdminPages.Form(logout), "Log out");

            Assert.Equal(Login, await copy.LandsOnAsync("/Admin/Projects"));
            // Nor can it act: a form it loaded before the logout is refused, and nothing is added.
            await copy.SubmitAsync(AdminPages.Form(licenses), "Add licenses", new Dictionary<string, string> { ["Input.Quantity"] = "3" });
            Assert.Equal(Login, copy.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.False(await portal.WithDbAsync(db => db.LicensePools.AnyAsync(p => p.Available > 0)));
            // Signing in again works, and the old copy stays refused.
            await admin.LoginAsync();
            Assert.Equal("/Admin/Projects", await admin.Client.LandsOnAsync("/Admin/Projects"));
            Assert.Equal(Login, await copy.LandsOnAsync("/Admin/Projects"));
        }
        finally
        {
            admin.Client.Dispose();
            copy.Dispose();
        }
    }

    [Fact]
    public async Task Cookie_AfterTheAccountWasDeleted_IsRefused()
    {
        await using var portal = new PortalFactory();
        var (admin, copy) = await SignedInWithACopyAsync(portal);
        try
        {
            await WithUsersAsync(portal, async users => await users.DeleteAsync((await users.FindByEmailAsync(PortalFactory.AdminEmail))!));

            Assert.Equal(Login, await admin.Client.LandsOnAsync("/Admin/Projects"));
            Assert.Equal(Login, await copy.LandsOnAsync("/Admin/Licenses"));
        }
        finally
        {
            admin.Client.Dispose();
            copy.Dispose();
        }
    }

    [Fact]
    public async Task Cookie_WhileTheAccountIsLocked_IsRefusedAndWorksAgainOnlyBySigningInAfterTheLockEnds()
    {
        await using var portal = new PortalFactory();
        var (admin, copy) = await SignedInWithACopyAsync(portal);
        try
        {
            await WithUsersAsync(portal, async users =>
                await users.SetLockoutEndDateAsync((await users.FindByEmailAsync(PortalFactory.AdminEmail))!, DateTimeOffset.UtcNow.AddHours(1)));

            Assert.Equal(Login, await admin.Client.LandsOnAsync("/Admin/Projects"));
            Assert.Equal(Login, await copy.LandsOnAsync("/Admin/Projects"));

            await WithUsersAsync(portal, async users =>
                await users.SetLockoutEndDateAsync((await users.FindByEmailAsync(PortalFactory.AdminEmail))!, null));
            await admin.LoginAsync();
            Assert.Equal("/Admin/Projects", await admin.Client.LandsOnAsync("/Admin/Projects"));
        }
        finally
        {
            admin.Client.Dispose();
            copy.Dispose();
        }
    }

    /// <summary>The admin signed in in one browser, and a second browser holding a copy of that browser's cookies.</summary>
    private static async Task<(AdminPages Admin, HtmlClient Copy)> SignedInWithACopyAsync(PortalFactory portal)
    {
        var cookies = new CookieContainer();
        var admin = new AdminPages(new HtmlClient(portal.CreateDefaultClient(new RedirectHandler(), new CookieContainerHandler(cookies))));
        await admin.LoginAsync();
        var stolen = new CookieContainer();
        foreach (Cookie cookie in cookies.GetAllCookies())
            stolen.Add(new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain));
        Assert.Contains(stolen.GetAllCookies(), c => c.Name == "MigrationPortal.Admin");
        return (admin, new HtmlClient(portal.CreateDefaultClient(new RedirectHandler(), new CookieContainerHandler(stolen))));
    }


    private static async Task WithUsersAsync(PortalFactory portal, Func<UserManager<IdentityUser>, Task> change)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        await change(scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>());
    }
}
