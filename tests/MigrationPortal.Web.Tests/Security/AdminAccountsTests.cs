using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// Admins are managed in the admin area: an invited admin chooses a password from a one-time emailed link; a disabled
/// admin's sessions end at once and sign-in is refused; a reset takes away a lost password and second factor and sends
/// a new link. No admin can lock themselves out, and every press is in the audit log.
/// </summary>
public sealed partial class AdminAccountsTests
{
    private const string NewAdmin = "new.admin@example.org";
    private const string NewPassword = "New-Admin-Passw0rd!";

    [Fact]
    public async Task Invite_TheNewAdminChoosesAPasswordFromTheEmailedLinkWhichWorksOnce()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();

        var invited = await InviteAsync(admin, NewAdmin);
        Assert.Contains($"Invited {NewAdmin}", invited.Body!.TextContent);
        Assert.Contains("Invited (no password yet)", Row(invited, NewAdmin));
        // No password yet: nothing signs in.
        using var guess = AdminPages.Browser(portal);
        await guess.LoginAsync(NewAdmin, "");
        Assert.Equal("/Admin/Account/Login", guess.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);

        var (link, mail) = await LinkAsync(portal, NewAdmin);
        Assert.Contains(PortalFactory.AdminEmail, mail.TextBody);
        using var newcomer = AdminPages.Browser(portal);
        var form = await newcomer.Client.GetAsync(link.PathAndQuery);
        Assert.Contains(NewAdmin, form.Body!.TextContent);
        var mismatch = await newcomer.Client.SubmitAsync(AdminPages.Form(form), "Set password",
            new Dictionary<string, string> { ["Input.Password"] = NewPassword, ["Input.Confirm"] = NewPassword + "x" });
        Assert.Contains("The two passwords differ.", mismatch.Body!.TextContent);
        var tooShort = await newcomer.Client.SubmitAsync(AdminPages.Form(mismatch), "Set password",
            new Dictionary<string, string> { ["Input.Password"] = "short", ["Input.Confirm"] = "short" });
        Assert.Contains("at least 10 characters", tooShort.Body!.TextContent);
        var set = await newcomer.Client.SubmitAsync(AdminPages.Form(tooShort), "Set password",
            new Dictionary<string, string> { ["Input.Password"] = NewPassword, ["Input.Confirm"] = NewPassword });
        Assert.Contains("Your password is set", set.Body!.TextContent);

        await newcomer.LoginAsync(NewAdmin, NewPassword);
        Assert.Equal("/Admin/Projects", newcomer.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);

        // The link worked once: a second visit (or someone who found the email later) cannot choose another password.
        using var later = AdminPages.Browser(portal);
        var again = await later.Client.GetAsync(link.PathAndQuery);
        Assert.Contains("This link does not work any more", again.Body!.TextContent);
        Assert.Null(again.QuerySelector("main form"));
        var tampered = await later.Client.GetAsync(link.PathAndQuery.Replace("code=", "code=A"));
        Assert.Contains("This link does not work any more", tampered.Body!.TextContent);

        var audit = await AuditAsync(portal);
        Assert.Contains($"Admin invited {NewAdmin} by {PortalFactory.AdminEmail}", audit);
        Assert.Contains($"Admin password set {NewAdmin} by {NewAdmin}", audit);
    }

    [Fact]
    public async Task Invite_BadOrTakenAddress_ClearMessageAndNoAccountMadeOrEmailSent()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();

        foreach (var (address, message) in new[]
                 {
                     ("not-an-address", "not a valid e-mail address"),
                     ("evil@example.org\r\nBcc: victim@example.org", "not a valid e-mail address"),
                     ("evil\u0007@example.org", "not allowed"),
                     (PortalFactory.AdminEmail, "already has an account"),
                 })
        {
            // Posted as typed, CR/LF included (a browser's form would strip them, an attacker's would not).
            var page = await admin.Client.GetAsync("/Admin/Admins");
            var post = await admin.Client.Http.PostAsync("/Admin/Admins?handler=Invite", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = page.QuerySelector("main form input[name=__RequestVerificationToken]")!.GetAttribute("value")!,
                ["Input.Email"] = address,
            }));
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            var errors = (await HtmlClient.OpenHtmlAsync(await post.Content.ReadAsStringAsync())).QuerySelectorAll(".error, .errors li").Select(e => e.TextContent);
            Assert.Contains(message, string.Join(" | ", errors));
        }
        Assert.Equal(1, await portal.WithDbAsync(db => db.Users.CountAsync()));
        Assert.False(Directory.Exists(portal.PickupDirectory) && Directory.EnumerateFiles(portal.PickupDirectory).Any());
    }

    [Fact]
    public async Task Disable_TheAdminsSessionsEndAndSignInIsRefusedUntilEnabled()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        using var other = await SignedInNewAdminAsync(portal, admin);

        var disabled = await PressAsync(admin, NewAdmin, "Disable");
        Assert.Contains("Disabled", Row(disabled, NewAdmin));
        Assert.Equal("/Admin/Account/Login", await other.Client.LandsOnAsync("/Admin/Projects"));
        await other.LoginAsync(NewAdmin, NewPassword);
        Assert.Equal("/Admin/Account/Login", other.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);

        var enabled = await PressAsync(admin, NewAdmin, "Enable");
        Assert.Contains("Active", Row(enabled, NewAdmin));
        await other.LoginAsync(NewAdmin, NewPassword);
        Assert.Equal("/Admin/Projects", other.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);

        var audit = await AuditAsync(portal);
        Assert.Contains($"Admin disabled {NewAdmin} by {PortalFactory.AdminEmail}", audit);
        Assert.Contains($"Admin enabled {NewAdmin} by {PortalFactory.AdminEmail}", audit);
    }

    [Fact]
    public async Task OwnAccount_CannotBeDisabledOrResetByItself()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        var page = await admin.Client.GetAsync("/Admin/Admins");
        Assert.Empty(page.QuerySelectorAll($"tr[data-admin='{PortalFactory.AdminEmail}'] button"));

        // Pressed anyway (a hand-made post with the page's own token).
        var ownId = await portal.WithDbAsync(db => db.Users.Select(u => u.Id).SingleAsync());
        foreach (var handler in new[] { "Disable", "Reset" })
        {
            var post = await admin.Client.Http.PostAsync($"/Admin/Admins?handler={handler}", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = page.QuerySelector("main form input[name=__RequestVerificationToken]")!.GetAttribute("value")!,
                ["id"] = ownId,
            }));
            Assert.Contains("You cannot", WebUtility.HtmlDecode(await post.Content.ReadAsStringAsync()));
        }
        Assert.Equal("/Admin/Projects", await admin.Client.LandsOnAsync("/Admin/Projects"));
        Assert.True(await portal.WithDbAsync(db => db.Users.AllAsync(u => u.LockoutEnd == null && u.PasswordHash != null)));
    }

    [Fact]
    public async Task Reset_AnAdminWhoLostTheirPhone_PasswordAndSecondFactorGoneSessionsEndedNewLinkSetsANewPassword()
    {
        await using var portal = new PortalFactory();
        using var admin = AdminPages.Browser(portal);
        await admin.LoginAsync();
        using var other = await SignedInNewAdminAsync(portal, admin);
        await TwoFactorSignInTests.TurnOnAsync(other);

        var reset = await PressAsync(admin, NewAdmin, "Reset");
        Assert.Contains("Invited (no password yet)", Row(reset, NewAdmin));
        Assert.Contains("Off", Row(reset, NewAdmin));
        Assert.Equal("/Admin/Account/Login", await other.Client.LandsOnAsync("/Admin/Projects"));
        await other.LoginAsync(NewAdmin, NewPassword);
        Assert.Equal("/Admin/Account/Login", other.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);

        var (link, mail) = await LinkAsync(portal, NewAdmin);
        Assert.Contains("reset your MigrationPortal admin account", mail.TextBody);
        var form = await other.Client.GetAsync(link.PathAndQuery);
        await other.Client.SubmitAsync(AdminPages.Form(form), "Set password",
            new Dictionary<string, string> { ["Input.Password"] = NewPassword + "2", ["Input.Confirm"] = NewPassword + "2" });
        // The password alone signs in now; the admin sets up the new phone from there.
        await other.LoginAsync(NewAdmin, NewPassword + "2");
        Assert.Equal("/Admin/Projects", other.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains($"Admin reset {NewAdmin} by {PortalFactory.AdminEmail}", await AuditAsync(portal));
    }

    /// <summary>Invites <see cref="NewAdmin"/>, sets the password from the email, and signs in as them in a browser of their own.</summary>
    private static async Task<AdminPages> SignedInNewAdminAsync(PortalFactory portal, AdminPages admin)
    {
        await InviteAsync(admin, NewAdmin);
        var (link, _) = await LinkAsync(portal, NewAdmin);
        var other = AdminPages.Browser(portal);
        var form = await other.Client.GetAsync(link.PathAndQuery);
        await other.Client.SubmitAsync(AdminPages.Form(form), "Set password",
            new Dictionary<string, string> { ["Input.Password"] = NewPassword, ["Input.Confirm"] = NewPassword });
        await other.LoginAsync(NewAdmin, NewPassword);
        Assert.Equal("/Admin/Projects", other.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        return other;
    }

    private static async Task<IHtmlDocument> InviteAsync(AdminPages admin, string address)
    {
        var page = await admin.Client.GetAsync("/Admin/Admins");
        var form = (IHtmlFormElement)page.QuerySelectorAll("main form").Last();
        return await admin.Client.SubmitAsync(form, "Invite", new Dictionary<string, string> { ["Input.Email"] = address });
    }

    private static async Task<IHtmlDocument> PressAsync(AdminPages admin, string address, string button)
    {
        var page = await admin.Client.GetAsync("/Admin/Admins");
        var form = (IHtmlFormElement)page.QuerySelector($"tr[data-admin='{address}'] form")!;
        return await admin.Client.SubmitAsync(form, button);
    }

    private static string Row(IHtmlDocument page, string address) =>
        page.QuerySelector($"tr[data-admin='{address}']")?.TextContent ?? "(no row for " + address + ")";

    /// <summary>The set-password link in the newest email to <paramref name="to"/> in the portal's pickup directory.</summary>
    private static async Task<(Uri Link, MimeMessage Mail)> LinkAsync(PortalFactory portal, string to)
    {
        var newest = Directory.GetFiles(portal.PickupDirectory, "*.eml").Select(f => new FileInfo(f))
            .Select(f => (f.LastWriteTimeUtc, Mail: MimeMessage.Load(f.FullName)))
            .Where(m => m.Mail.To.Mailboxes.Any(a => a.Address == to))
            .OrderBy(m => m.LastWriteTimeUtc).Last().Mail;
        await Task.CompletedTask;
        return (new Uri(SetPasswordLink().Match(newest.TextBody ?? "").Value), newest);
    }


    private static Task<List<string>> AuditAsync(PortalFactory portal) =>
        portal.WithDbAsync(db => db.AuditEntries.AsNoTracking().Select(e => e.Action + " " + e.Target + " by " + e.Actor).ToListAsync());

    [GeneratedRegex(@"http://portal\.test/Admin/Account/SetPassword\?\S+")]
    private static partial Regex SetPasswordLink();
}
