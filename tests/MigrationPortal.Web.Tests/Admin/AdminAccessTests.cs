using System.Net;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

public sealed class AdminAccessTests
{
    [Theory]
    [InlineData("/Admin")]
    [InlineData("/Admin/Projects")]
    [InlineData("/Admin/Projects/Create")]
    [InlineData("/Admin/Licenses")]
    public async Task AdminPage_Anonymous_RedirectsToLogin(string path)
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);

        var page = await admin.Client.GetAsync(path);

        Assert.Equal("/Admin/Account/Login", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("Admin log in", page.Title + page.Body!.TextContent);
    }

    [Fact]
    public async Task Login_ConfiguredAdmin_SeesProjectsAndCanLogOut()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);

        var projects = await admin.LoginAsync();

        Assert.Equal("/Admin/Projects", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains(PortalFactory.AdminEmail, projects.Body!.TextContent);

        var logout = (AngleSharp.Html.Dom.IHtmlFormElement)projects.QuerySelector("form.signout")!;
        await admin.Client.SubmitAsync(logout, "Log out");
        await admin.Client.GetAsync("/Admin/Projects");
        Assert.Equal("/Admin/Account/Login", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Login_WrongPassword_ShowsErrorAndStaysLoggedOut()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);

        var page = await admin.LoginAsync(password: "not-the-password");

        Assert.Contains("The email or password is incorrect.", page.Body!.TextContent);
        await admin.Client.GetAsync("/Admin/Projects");
        Assert.Equal("/Admin/Account/Login", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Login_FiveWrongPasswords_LocksTheAccountEvenForTheRightOne()
    {
        // Past the per-address throttle, as guesses spread over many addresses would be.
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Admin:SignInPermitLimit"] = "100" });
        var admin = AdminPages.Open(portal);

        for (var i = 0; i < 5; i++)
            await admin.LoginAsync(password: $"wrong-{i}");
        var page = await admin.LoginAsync();

        Assert.Contains("locked", page.Body!.TextContent);
        await admin.Client.GetAsync("/Admin/Projects");
        Assert.Equal("/Admin/Account/Login", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Post_WithoutAntiforgeryToken_IsRejectedAndChangesNothing()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();

        var response = await admin.Client.Http.PostAsync("/Admin/Licenses", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Quantity"] = "50",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, AdminPages.LicensesAvailable(await admin.Client.GetAsync("/Admin/Licenses")));
    }
}
