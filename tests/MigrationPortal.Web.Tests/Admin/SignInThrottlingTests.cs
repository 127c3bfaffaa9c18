using System.Net;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>Sign-in attempts are throttled per client address before the lockout can be used against the admin.</summary>
public sealed class SignInThrottlingTests
{
    [Fact]
    public async Task SignIn_MorePostsFromOneAddressThanAllowed_Answers429WithRetryAfterBeforeTheAdminIsLockedOut()
    {
        await using var portal = new PortalFactory();
        var stranger = AdminPages.Open(portal);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            await stranger.LoginAsync(password: $"guess-{i}");
            statuses.Add(stranger.Client.LastResponse!.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        await stranger.Client.GetAsync("/Admin/Account/Login");
        Assert.Equal(HttpStatusCode.OK, stranger.Client.LastResponse!.StatusCode);
        var admin = await portal.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == PortalFactory.AdminEmail));
        Assert.Null(admin.LockoutEnd);
        Assert.Equal(4, admin.AccessFailedCount);
    }

    [Fact]
    public async Task SignIn_Throttled_ReadablePageWithRetryAfter()
    {
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Admin:SignInPermitLimit"] = "1" });
        var stranger = AdminPages.Open(portal);
        await stranger.LoginAsync(password: "guess-1");

        var page = await stranger.LoginAsync(password: "guess-2");

        var response = stranger.Client.LastResponse!;
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        Assert.Equal("Too many attempts", page.QuerySelector("main h1")?.TextContent);
        Assert.Contains("minutes", page.QuerySelector("main p")?.TextContent);
    }

    [Fact]
    public async Task SignIn_UnknownAccountWrongPasswordAndLockedAccount_GetTheSameMessage()
    {
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Admin:SignInPermitLimit"] = "100" });
        var client = AdminPages.Open(portal);

        var unknown = AdminPages.Errors(await client.LoginAsync(email: "nobody@example.org", password: "guess"));
        var wrong = AdminPages.Errors(await client.LoginAsync(password: "guess"));
        for (var i = 0; i < 5; i++)
            await client.LoginAsync(password: $"guess-{i}");
        var locked = AdminPages.Errors(await client.LoginAsync());

        Assert.NotEmpty(unknown);
        Assert.Equal(unknown, wrong);
        Assert.Equal(unknown, locked);
        var admin = await portal.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == PortalFactory.AdminEmail));
        Assert.NotNull(admin.LockoutEnd);
    }

    [Fact]
    public async Task SignIn_ManySuccessfulSignInsFromOneAddress_NeverThrottled()
    {
        await using var portal = new PortalFactory();

        // An office of admins behind one address, or one admin signing in and out all day.
        for (var i = 0; i < 8; i++)
        {
            var admin = AdminPages.Open(portal);
            await admin.LoginAsync();
            Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
            Assert.Equal("/Admin/Projects", admin.Client.LastResponse.RequestMessage!.RequestUri!.AbsolutePath);
        }
        // Failures still count after them.
        var stranger = AdminPages.Open(portal);
        for (var i = 0; i < 4; i++)
            await stranger.LoginAsync(password: $"guess-{i}");
        await stranger.LoginAsync(password: "guess-5");
        Assert.Equal(HttpStatusCode.TooManyRequests, stranger.Client.LastResponse!.StatusCode);
    }
}
