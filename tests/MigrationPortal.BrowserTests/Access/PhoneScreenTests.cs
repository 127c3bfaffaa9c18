using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using MigrationPortal.BrowserTests.Admin;
using MigrationPortal.BrowserTests.Infrastructure;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace MigrationPortal.BrowserTests.Access;

/// <summary>
/// Every screen a mailbox's user can reach, on a phone (375 × 667, touch), with real Dovecot behind the form: it fits
/// the screen, its inputs do not make iOS zoom, its button is a thumb's size, and axe-core finds no WCAG 2.1 AA violation.
/// The admin's sign-in page, which a phone may reach too, passes axe-core as well.
/// </summary>
public sealed class PhoneScreenTests(BrowserFixture browser, MailServers servers)
    : IClassFixture<BrowserFixture>, IClassFixture<MailServers>
{
    [Fact]
    public async Task UserScreens_OnAPhone_FitTheScreenTakeNoZoomAndPassAxe()
    {
        // 60 characters without a space: the form shows it in its facts and in a fieldset's legend.
        var longEmail = "phone." + new string('a', 42) + "@example.org";
        const string thankedEmail = "thanked@example.org";
        const string germanEmail = "deutsch@example.org";
        const string password = "Phöne pass 5";
        foreach (var email in new[] { longEmail, thankedEmail, germanEmail })
        {
            await servers.Source.AddUserAsync(email, password);
            await servers.Destination.AddUserAsync(email, "Dest-Passw0rd");
        }
        var portal = PortalServer.Emailing(servers);
        await portal.InitializeAsync();
        try
        {
            var links = new Dictionary<string, string>();
            await browser.RunAsync(nameof(UserScreens_OnAPhone_FitTheScreenTakeNoZoomAndPassAxe) + "-admin", portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(3);
                await admin.CreateProjectAsync("Phone move", (servers.Source.Host, servers.Source.Port), (servers.Destination.Host, servers.Destination.Port));
                foreach (var email in new[] { longEmail, thankedEmail, germanEmail })
                    await admin.AddMailboxAsync(email, sourcePassword: null, destinationPassword: "Dest-Passw0rd");
                foreach (var email in new[] { longEmail, thankedEmail, germanEmail })
                    await admin.CheckAsync(email);
                await admin.PressAsync("Start");
                foreach (var email in new[] { longEmail, thankedEmail, germanEmail })
                    links[email] = await EmailedLinks.NthAsync(servers.Smtp, email, 0);
            });

            await browser.RunAsync(nameof(UserScreens_OnAPhone_FitTheScreenTakeNoZoomAndPassAxe), PhoneScreen.Options(portal.BaseUrl), async user =>
            {
                await user.GotoAsync(links[longEmail]);
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Your mailbox migration" })).ToBeVisibleAsync();
                await Expect(user.Locator("main")).ToContainTextAsync(longEmail);
                await PhoneScreen.AssertFitsAsync(user, "form");

                // Nothing typed: each message is announced with its field.
                await user.GetByLabel("Source login name").FillAsync("");
                await Submit(user).ClickAsync();
                await Expect(user.GetByLabel("Source login name")).ToHaveAccessibleDescriptionAsync("Enter your source login name.");
                await Expect(user.GetByLabel("Source password")).ToHaveAccessibleDescriptionAsync("Enter your source password.");
                await Expect(user.GetByLabel("Source password")).ToHaveAttributeAsync("aria-invalid", "true");
                await PhoneScreen.AssertFitsAsync(user, "validation messages");

                // The source server is down: the notice, and the link still works.
                await servers.Source.StopAsync();
                try
                {
                    await user.GetByLabel("Source login name").FillAsync(longEmail);
                    await user.GetByLabel("Source password").FillAsync(password);
                    await Submit(user).ClickAsync();
                    await Expect(user.GetByRole(AriaRole.Alert)).ToContainTextAsync("a mail server did not answer");
                    await PhoneScreen.AssertFitsAsync(user, "server did not answer");
                }
                finally
                {
                    await servers.Source.StartAsync();
                }

                await user.GetByLabel("Source password").FillAsync("wrong " + password);
                await Submit(user).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Credentials not accepted" })).ToBeVisibleAsync();
                await PhoneScreen.AssertFitsAsync(user, "rejected");

                await user.GotoAsync(links[longEmail]);
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Link not valid" })).ToBeVisibleAsync();
                await PhoneScreen.AssertFitsAsync(user, "neutral page");

                await user.GotoAsync(links[thankedEmail]);
                await user.GetByLabel("Source login name").FillAsync(thankedEmail);
                await user.GetByLabel("Source password").FillAsync(password);
                await Submit(user).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your migration has started.");
                await PhoneScreen.AssertFitsAsync(user, "thank you");

                await user.GotoAsync("/no/such/page");
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
                await PhoneScreen.AssertFitsAsync(user, "public error page");

                // The switch: German on the same link, which stays usable; then English again.
                await user.GotoAsync(links[germanEmail]);
                await user.GetByRole(AriaRole.Link, new() { Name = "Deutsch" }).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Ihr Postfachumzug" })).ToBeVisibleAsync();
                await Expect(user.Locator("html")).ToHaveAttributeAsync("lang", "de");
                Assert.Equal(links[germanEmail], new Uri(user.Url).PathAndQuery);
                await Submit(user, "Absenden").ClickAsync();
                await Expect(user.GetByLabel("Passwort des Quellpostfachs")).ToHaveAccessibleDescriptionAsync("Geben Sie das Passwort Ihres Quellpostfachs ein.");
                await PhoneScreen.AssertFitsAsync(user, "German validation messages");
                await user.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Your mailbox migration" })).ToBeVisibleAsync();
                await Expect(user.Locator("html")).ToHaveAttributeAsync("lang", "en");
                Assert.Equal(links[germanEmail], new Uri(user.Url).PathAndQuery);
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    [Fact]
    public async Task AdminSignIn_OnAPhone_PassesAxe()
    {
        var portal = new PortalServer();
        await portal.InitializeAsync();
        try
        {
            await browser.RunAsync(nameof(AdminSignIn_OnAPhone_PassesAxe), PhoneScreen.Options(portal.BaseUrl), async page =>
            {
                await page.GotoAsync("/Admin");
                await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log in" })).ToBeVisibleAsync();
                await PhoneScreen.AssertAccessibleAsync(page, "admin sign-in");
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    private static ILocator Submit(IPage page, string name = "Submit") => page.GetByRole(AriaRole.Button, new() { Name = name });
}
