using System.Net;
using System.Text;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// An admin turns on two-factor sign-in with an authenticator app: from then on the password alone opens nothing, the
/// app's code or a recovery code (once each) does, and the app's key and the recovery codes are never stored in clear.
/// </summary>
public sealed class TwoFactorSignInTests
{
    private const string Settings = "/Admin/Account/TwoFactor";

    [Fact]
    public async Task TurnedOn_PasswordAloneOpensNothingAndTheAppsCodeSignsIn()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        using var otherBrowser = AdminPages.Browser(portal);
        await otherBrowser.LoginAsync();

        var (key, codes) = await TurnOnAsync(admin);
        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct().Count());
        // Turning it on ends the account's other sessions: they signed in with the password alone.
        Assert.Equal("/Admin/Account/Login", await otherBrowser.Client.LandsOnAsync("/Admin/Projects"));
        // The session that turned it on goes on.
        Assert.Equal("/Admin/Projects", await admin.Client.LandsOnAsync("/Admin/Projects"));

        using var next = AdminPages.Browser(portal);
        var afterPassword = await next.LoginAsync();
        Assert.Equal("/Admin/Account/LoginTwoFactor", next.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("authenticator app", afterPassword.Body!.TextContent);
        Assert.Equal("/Admin/Account/Login", await next.Client.LandsOnAsync("/Admin/Projects"));

        var wrong = await SubmitCodeAsync(next, Totp.Code(key, DateTimeOffset.UtcNow.AddMinutes(-10)));
        Assert.Contains("That code is not right", AdminPages.Errors(wrong) + wrong.QuerySelector("[role=alert]")?.TextContent);
        Assert.Equal("/Admin/Account/Login", await next.Client.LandsOnAsync("/Admin/Projects"));

        // As a phone shows it, with a space in the middle.
        var code = Totp.Now(key);
        await SubmitCodeAsync(next, code[..3] + " " + code[3..]);
        Assert.Equal("/Admin/Projects", next.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Equal("/Admin/Licenses", await next.Client.LandsOnAsync("/Admin/Licenses"));

        var audit = await portal.WithDbAsync(db => db.AuditEntries.AsNoTracking().Select(e => e.Action + " " + e.Detail).ToListAsync());
        Assert.Contains("Two-factor sign-in turned on 10 recovery codes issued", audit);
        Assert.Contains("Sign-in refused wrong two-factor code", audit);
        Assert.Contains("Signed in with an authenticator code", audit);
    }

    [Fact]
    public async Task RecoveryCode_SignsInOnceAndNeverAgain()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        var (_, codes) = await TurnOnAsync(admin);

        using var first = AdminPages.Browser(portal);
        await first.LoginAsync();
        // Typed in lower case with a space, as people copy them from paper.
        await SubmitCodeAsync(first, " " + codes[3].ToLowerInvariant().Replace("-", " - ") + " ");
        Assert.Equal("/Admin/Projects", await first.Client.LandsOnAsync("/Admin/Projects"));
        var settings = await first.Client.GetAsync(Settings);
        Assert.Contains("Recovery codes left: 9", Normalised(settings.Body!.TextContent));

        using var second = AdminPages.Browser(portal);
        await second.LoginAsync();
        var refused = await SubmitCodeAsync(second, codes[3]);
        Assert.Contains("That code is not right", refused.Body!.TextContent);
        Assert.Equal("/Admin/Account/Login", await second.Client.LandsOnAsync("/Admin/Projects"));
        // Another, unused code still works.
        await SubmitCodeAsync(second, codes[4]);
        Assert.Equal("/Admin/Projects", await second.Client.LandsOnAsync("/Admin/Projects"));
    }

    [Fact]
    public async Task TheAppsKeyAndRecoveryCodes_NeverStoredInClear()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        var (key, codes) = await TurnOnAsync(admin);

        var tokens = await portal.WithDbAsync(db => db.UserTokens.AsNoTracking().Select(t => new { t.Name, t.Value }).ToListAsync());
        Assert.Contains(tokens, t => t.Name == "AuthenticatorKey");
        Assert.Contains(tokens, t => t.Name == "RecoveryCodes");
        var compactKey = key.Replace(" ", "").ToUpperInvariant();
        foreach (var token in tokens)
        {
            Assert.DoesNotContain(compactKey, token.Value ?? "", StringComparison.OrdinalIgnoreCase);
            foreach (var code in codes)
                Assert.DoesNotContain(code, token.Value ?? "", StringComparison.OrdinalIgnoreCase);
        }
        // Nor anywhere in the database's files (SQLite; on PostgreSQL the rows above are what there is to read).
        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
        {
            var text = Encoding.ASCII.GetString(bytes);
            Assert.False(text.Contains(compactKey, StringComparison.Ordinal), $"{name} holds the authenticator key");
            Assert.DoesNotContain(codes, code => text.Contains(code, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TurnOff_AsksForACurrentCodeThenThePasswordAloneSignsInAgain()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        var (key, _) = await TurnOnAsync(admin);

        var settings = await admin.Client.GetAsync(Settings);
        var refused = await admin.Client.SubmitAsync(AdminPages.Form(settings), "Turn off two-factor sign-in",
            new Dictionary<string, string> { ["Input.Code"] = "000000" == Totp.Now(key) ? "111111" : "000000" });
        Assert.Contains("That code is not right", refused.Body!.TextContent);
        Assert.Contains("is on", Normalised(refused.Body.TextContent));

        var off = await admin.Client.SubmitAsync(AdminPages.Form(refused), "Turn off two-factor sign-in",
            new Dictionary<string, string> { ["Input.Code"] = Totp.Now(key) });
        Assert.Contains("Two-factor sign-in is off", Normalised(off.Body!.TextContent));
        Assert.Empty(await portal.WithDbAsync(db => db.UserTokens.AsNoTracking().ToListAsync()));

        using var next = AdminPages.Browser(portal);
        await next.LoginAsync();
        Assert.Equal("/Admin/Projects", await next.Client.LandsOnAsync("/Admin/Projects"));
    }

    [Fact]
    public async Task Required_AnAdminWithoutItReachesOnlyTheSetUpPageAndActsOnlyAfterTurningItOn()
    {
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Admin:RequireTwoFactor"] = "true" });
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        Assert.Equal(Settings, admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        foreach (var page in new[] { "/Admin", "/Admin/Projects", "/Admin/Licenses", "/Admin/Audit", "/Admin/Outbox", "/Admin/Projects/Create" })
            Assert.Equal(Settings, await admin.Client.LandsOnAsync(page));
        Assert.Contains("must sign in with a second factor", (await admin.Client.GetAsync(Settings)).Body!.TextContent);

        // A handler is not run either: a post to Licenses with a valid antiforgery token adds nothing.
        var setUp = await admin.Client.GetAsync(Settings);
        var token = setUp.QuerySelector("main form input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var post = await admin.Client.Http.PostAsync("/Admin/Licenses", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["Input.Quantity"] = "5",
        }));
        Assert.Equal(Settings, post.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.False(await portal.WithDbAsync(db => db.LicensePools.AnyAsync(p => p.Available > 0)));

        var (key, _) = await TurnOnAsync(admin);
        Assert.Equal("/Admin/Licenses", await admin.Client.LandsOnAsync("/Admin/Licenses"));
        // And it cannot be turned off while required.
        var settings = await admin.Client.GetAsync(Settings);
        Assert.DoesNotContain(settings.QuerySelectorAll("button"), b => b.TextContent.Contains("Turn off"));
        var forced = await admin.Client.Http.PostAsync(Settings + "?handler=Disable", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = settings.QuerySelector("main form input[name=__RequestVerificationToken]")!.GetAttribute("value")!,
            ["Input.Code"] = Totp.Now(key),
        }));
        Assert.Contains("cannot be turned off", await forced.Content.ReadAsStringAsync());
        Assert.True(await portal.WithDbAsync(db => db.Users.AllAsync(u => u.TwoFactorEnabled)));
    }

    /// <summary>Sets up the app through the settings page, as an admin would: the key read from the page, the code computed from it.</summary>
    internal static async Task<(string Key, IReadOnlyList<string> RecoveryCodes)> TurnOnAsync(AdminPages admin)
    {
        var settings = await admin.Client.GetAsync(Settings);
        var keyPage = await admin.Client.SubmitAsync(AdminPages.Form(settings), "Set up an authenticator app");
        var key = keyPage.QuerySelector("#authenticator-key")!.TextContent.Trim();
        Assert.NotNull(keyPage.QuerySelector("figure.qr-code svg"));
        // The page's Content-Security-Policy allows no inline style: the code must draw without one.
        Assert.Null(keyPage.QuerySelector("figure.qr-code [style]"));

        var wrong = await admin.Client.SubmitAsync(AdminPages.Form(keyPage), "Turn on two-factor sign-in",
            new Dictionary<string, string> { ["Input.Code"] = Totp.Code(key, DateTimeOffset.UtcNow.AddHours(1)) });
        Assert.Contains("That code is not right", wrong.Body!.TextContent);
        Assert.Equal(key, wrong.QuerySelector("#authenticator-key")!.TextContent.Trim());

        var on = await admin.Client.SubmitAsync(AdminPages.Form(wrong), "Turn on two-factor sign-in",
            new Dictionary<string, string> { ["Input.Code"] = Totp.Now(key) });
        Assert.Contains("is on", Normalised(on.Body!.TextContent));
        return (key, on.QuerySelectorAll(".recovery-codes code").Select(c => c.TextContent.Trim()).ToList());
    }

    private static async Task<IHtmlDocument> SubmitCodeAsync(AdminPages admin, string code)
    {
        var page = await admin.Client.GetAsync("/Admin/Account/LoginTwoFactor");
        return await admin.Client.SubmitAsync(AdminPages.Form(page), "Sign in", new Dictionary<string, string> { ["Input.Code"] = code });
    }


    private static string Normalised(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
