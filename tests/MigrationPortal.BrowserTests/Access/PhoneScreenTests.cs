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
    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

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
        var portal = new PortalServer(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Portal:PublicBaseUrl"] = "https://migrate.example.test",
            ["Outbox:PollInterval"] = "00:00:00.500",
        });
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

            await browser.RunAsync(nameof(UserScreens_OnAPhone_FitTheScreenTakeNoZoomAndPassAxe), Phone(portal.BaseUrl), async user =>
            {
                await user.GotoAsync(links[longEmail]);
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Your mailbox migration" })).ToBeVisibleAsync();
                await Expect(user.Locator("main")).ToContainTextAsync(longEmail);
                await AssertFitsAPhoneAsync(user, "form");

                // Nothing typed: each message is announced with its field.
                await user.GetByLabel("Source login name").FillAsync("");
                await Submit(user).ClickAsync();
                await Expect(user.GetByLabel("Source login name")).ToHaveAccessibleDescriptionAsync("Enter your source login name.");
                await Expect(user.GetByLabel("Source password")).ToHaveAccessibleDescriptionAsync("Enter your source password.");
                await Expect(user.GetByLabel("Source password")).ToHaveAttributeAsync("aria-invalid", "true");
                await AssertFitsAPhoneAsync(user, "validation messages");

                // The source server is down: the notice, and the link still works.
                await servers.Source.StopAsync();
                try
                {
                    await user.GetByLabel("Source login name").FillAsync(longEmail);
                    await user.GetByLabel("Source password").FillAsync(password);
                    await Submit(user).ClickAsync();
                    await Expect(user.GetByRole(AriaRole.Alert)).ToContainTextAsync("a mail server did not answer");
                    await AssertFitsAPhoneAsync(user, "server did not answer");
                }
                finally
                {
                    await servers.Source.StartAsync();
                }

                await user.GetByLabel("Source password").FillAsync("wrong " + password);
                await Submit(user).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Credentials not accepted" })).ToBeVisibleAsync();
                await AssertFitsAPhoneAsync(user, "rejected");

                await user.GotoAsync(links[longEmail]);
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Link not valid" })).ToBeVisibleAsync();
                await AssertFitsAPhoneAsync(user, "neutral page");

                await user.GotoAsync(links[thankedEmail]);
                await user.GetByLabel("Source login name").FillAsync(thankedEmail);
                await user.GetByLabel("Source password").FillAsync(password);
                await Submit(user).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your migration has started.");
                await AssertFitsAPhoneAsync(user, "thank you");

                await user.GotoAsync("/no/such/page");
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
                await AssertFitsAPhoneAsync(user, "public error page");

                // The switch: German on the same link, which stays usable; then English again.
                await user.GotoAsync(links[germanEmail]);
                await user.GetByRole(AriaRole.Link, new() { Name = "Deutsch" }).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Ihr Postfachumzug" })).ToBeVisibleAsync();
                await Expect(user.Locator("html")).ToHaveAttributeAsync("lang", "de");
                Assert.Equal(links[germanEmail], new Uri(user.Url).PathAndQuery);
                await Submit(user, "Absenden").ClickAsync();
                await Expect(user.GetByLabel("Passwort des Quellpostfachs")).ToHaveAccessibleDescriptionAsync("Geben Sie das Passwort Ihres Quellpostfachs ein.");
                await AssertFitsAPhoneAsync(user, "German validation messages");
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
            await browser.RunAsync(nameof(AdminSignIn_OnAPhone_PassesAxe), Phone(portal.BaseUrl), async page =>
            {
                await page.GotoAsync("/Admin");
                await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log in" })).ToBeVisibleAsync();
                await AssertNoAxeViolationsAsync(page, "admin sign-in");
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    private static BrowserNewContextOptions Phone(string baseUrl) => new()
    {
        BaseURL = baseUrl,
        ViewportSize = new ViewportSize { Width = 375, Height = 667 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
    };

    private static ILocator Submit(IPage page, string name = "Submit") => page.GetByRole(AriaRole.Button, new() { Name = name });

    /// <summary>The screen's layout on the phone, then axe-core over the whole page.</summary>
    private static async Task AssertFitsAPhoneAsync(IPage page, string screen)
    {
        // As JSON: Playwright's own conversion takes an empty array of objects for one of strings.
        var json = await page.EvaluateAsync<string>("""
            () => {
              const root = document.documentElement;
              const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
              const smallInputs = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => parseFloat(getComputedStyle(e).fontSize) < 16)
                .map(e => (e.name || e.id) + ' ' + getComputedStyle(e).fontSize);
              const buttons = [...document.querySelectorAll('main button')].map(b => {
                const r = b.getBoundingClientRect();
                const shown = [...(b.form?.elements ?? [])].filter(e => e.type !== 'hidden');
                return { text: b.textContent.trim(), left: r.left, right: r.right, height: r.height, last: b === shown[shown.length - 1] };
              });
              return JSON.stringify({ scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide, smallInputs, buttons });
            }
            """);
        var layout = JsonSerializer.Deserialize<PhoneLayout>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(layout.ScrollWidth <= layout.ClientWidth,
            $"{screen}: the page scrolls sideways ({layout.ScrollWidth} px wide on a {layout.ClientWidth} px screen); too wide: {string.Join(", ", layout.Wide)}");
        Assert.True(layout.Wide.Length == 0, $"{screen}: wider than the screen: {string.Join(", ", layout.Wide)}");
        Assert.True(layout.SmallInputs.Length == 0, $"{screen}: inputs under 16 px make iOS zoom in: {string.Join(", ", layout.SmallInputs)}");
        foreach (var button in layout.Buttons)
        {
            Assert.True(button.Height >= 44 || button.Right - button.Left >= layout.ClientWidth * 0.8,
                $"{screen}: the button '{button.Text}' is {button.Right - button.Left:0} × {button.Height:0} px: neither full-width nor 44 px high");
            Assert.True(button.Left >= 0 && button.Right <= layout.ClientWidth, $"{screen}: the button '{button.Text}' is partly off the screen");
            Assert.True(button.Last, $"{screen}: the button '{button.Text}' is not at the bottom of its form");
        }

        await AssertNoAxeViolationsAsync(page, screen);
    }

    private static async Task AssertNoAxeViolationsAsync(IPage page, string screen)
    {
        var axe = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagTags] } });
        Assert.True(axe.Violations.Length == 0, $"{screen}: axe-core found WCAG 2.1 AA violations:\n{Describe(axe.Violations)}");
    }

    private static string Describe(IEnumerable<AxeResultItem> violations)
    {
        var text = new StringBuilder();
        foreach (var violation in violations)
        {
            text.AppendLine($"- {violation.Id} ({violation.Impact}): {violation.Help} {violation.HelpUrl}");
            foreach (var node in violation.Nodes)
            {
                var why = (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []).Select(c => c.Message);
                text.AppendLine($"    {string.Join(" ", node.Target?.ToString())} {Regex.Replace(node.Html ?? "", @"\s+", " ")}: {string.Join("; ", why)}");
            }
        }
        return text.ToString();
    }

    private sealed class PhoneButton
    {
        public string Text { get; set; } = "";
        public double Left { get; set; }
        public double Right { get; set; }
        public double Height { get; set; }
        public bool Last { get; set; }
    }

    private sealed class PhoneLayout
    {
        public double ScrollWidth { get; set; }
        public double ClientWidth { get; set; }
        public string[] Wide { get; set; } = [];
        public string[] SmallInputs { get; set; } = [];
        public PhoneButton[] Buttons { get; set; } = [];
    }
}
