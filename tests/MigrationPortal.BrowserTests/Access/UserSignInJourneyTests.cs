using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MigrationPortal.BrowserTests.Admin;
using MigrationPortal.BrowserTests.Infrastructure;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace MigrationPortal.BrowserTests.Access;

/// <summary>
/// "Sign in with Google" and "Sign in with Microsoft" in a real Chromium: the admin sets both sides to each user's own
/// sign-in on the Sign-in page, Starts the mailbox, and the user, from the emailed link, signs in at the local
/// authorization server (which stands in for Google's and Microsoft's sign-in pages: it signs in the account the test
/// names) for each side, without typing a password into the portal; the mailbox is copied through the tokens, the
/// user follows it to Copied, and the admin's dashboard says who signed in.
/// </summary>
public sealed class UserSignInJourneyTests(BrowserFixture browser, ModernAuthServers servers)
    : IClassFixture<BrowserFixture>, IClassFixture<ModernAuthServers>
{
    [Fact]
    public async Task UserSignsInWithGoogleThenMicrosoft_NoPasswordTyped_MailboxCopied_AdminSeesWhoSignedIn()
    {
        var (email, password) = await servers.SeedUserAsync($"d{Guid.NewGuid():N}"[..10] + ".test", 15, localPart: "journey");

        var portal = PortalServer.AtItsPublicAddress(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Outbox:PollInterval"] = "00:00:00.500",
            ["Portal:StatusPageRefresh"] = "00:00:01",
            ["ModernAuth:TrustedCertificateSha256:0"] = servers.OAuth.CertificateSha256,
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
        });
        await portal.InitializeAsync();
        var redirect = new Uri(portal.BaseUrl + "/access/signed-in");
        var googleClient = $"{Guid.NewGuid():N}.apps.googleusercontent.com";
        var microsoftClient = Guid.NewGuid().ToString();
        servers.OAuth.RegisterClient(googleClient, "google-secret-for-the-journey", redirect);
        servers.OAuth.RegisterClient(microsoftClient, "microsoft-secret-for-the-journey", redirect);
        try
        {
            await browser.RunAsync(nameof(UserSignsInWithGoogleThenMicrosoft_NoPasswordTyped_MailboxCopied_AdminSeesWhoSignedIn), portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(1);
                await admin.CreateProjectAsync("Users sign in", (servers.Mail.Google.Host, servers.Mail.Google.Port), (servers.Mail.Microsoft.Host, servers.Mail.Microsoft.Port));
                var dashboard = page.Url;
                var project = Regex.Match(dashboard, @"/Dashboard/(\d+)").Groups[1].Value;

                await page.GotoAsync($"/Admin/Projects/SignIn/{project}");
                var source = page.Locator("#source");
                await source.GetByLabel("Google: each user signs in (Sign in with Google)").CheckAsync();
                await source.Locator("#source-google-client").FillAsync(googleClient);
                await source.Locator("#source-google-secret").FillAsync("google-secret-for-the-journey");
                await source.Locator("#source-authorization-url").FillAsync(new Uri(servers.OAuth.BaseUrl, "authorize").ToString());
                await source.Locator("#source-token-url").FillAsync(servers.OAuth.GoogleTokenUrl.ToString());
                await source.GetByRole(AriaRole.Button, new() { Name = "Save source sign-in" }).ClickAsync();
                await Expect(page.Locator("#source-redirect-uri")).ToHaveTextAsync(redirect.ToString());
                var destination = page.Locator("#destination");
                await destination.GetByLabel("Microsoft 365: each user signs in (Sign in with Microsoft)").CheckAsync();
                await destination.Locator("#destination-tenant").FillAsync("5d2c8e1f-7a3b-4c9d-8e6f-0a1b2c3d4e5f");
                await destination.Locator("#destination-client").FillAsync(microsoftClient);
                await destination.Locator("#destination-secret").FillAsync("microsoft-secret-for-the-journey");
                await destination.Locator("#destination-authority").FillAsync(servers.OAuth.BaseUrl.ToString());
                await destination.GetByRole(AriaRole.Button, new() { Name = "Save destination sign-in" }).ClickAsync();
                await Expect(page.Locator("#destination-redirect-uri")).ToHaveTextAsync(redirect.ToString());

                await page.GotoAsync(dashboard);
                await admin.AddMailboxAsync(email, sourcePassword: null, destinationPassword: null);
                await admin.CheckAsync(email);
                await admin.PressAsync("Start");
                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Waiting for User"));
                var link = await EmailedLinks.NthAsync(servers.Smtp, email, 0);

                // The user's phone, a browser of its own; the stand-in sign-in pages have the test's certificate.
                var phone = PhoneScreen.Options(portal.BaseUrl);
                phone.IgnoreHTTPSErrors = true;
                await using var userContext = await page.Context.Browser!.NewContextAsync(phone);
                var user = await userContext.NewPageAsync();
                await user.GotoAsync(link);
                await Expect(user.GetByRole(AriaRole.Link, new() { Name = "Sign in with Google" })).ToBeVisibleAsync();
                await Expect(user.Locator("input[type=password]")).ToHaveCountAsync(0);
                await PhoneScreen.AssertFitsAsync(user, "form with two sign-in buttons");

                servers.OAuth.NextSignIn = email;
                await user.GetByRole(AriaRole.Link, new() { Name = "Sign in with Google" }).TapAsync();
                await Expect(user.Locator("#source-signed-in")).ToHaveTextAsync($"Signed in as {email}.");
                await PhoneScreen.AssertFitsAsync(user, "form, source signed in");
                Assert.Equal(new Uri(portal.BaseUrl + link).AbsolutePath, new Uri(user.Url).AbsolutePath); // back on the form
                await user.GetByRole(AriaRole.Link, new() { Name = "Sign in with Microsoft" }).TapAsync();
                await Expect(user.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your migration has started.");

                await user.GetByRole(AriaRole.Link, new() { Name = "Follow your migration's progress" }).TapAsync();
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Copied" })).ToBeVisibleAsync(new() { Timeout = 60_000 });
                await Expect(user.Locator("#last-pass")).ToContainTextAsync("15 messages copied");

                // A page of its own: the one that pressed Start reloads itself while the Start report runs.
                var later = new AdminSite(await page.Context.NewPageAsync());
                await later.Page.GotoAsync(dashboard);
                await Expect(later.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Completed"));
                await Expect(later.Row(email).Locator("small.signed-in"))
                    .ToHaveTextAsync($"Source: signed in with Google as {email}; Destination: signed in with Microsoft as {email}");
            });
            var copied = await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password);
            Assert.Equal((await MailboxContent.ReadAsync(servers.Mail.Google, email, password)).Folders["INBOX"], copied.Folders["INBOX"]);
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }
}
