using Microsoft.Playwright;
using MigrationPortal.BrowserTests.Infrastructure;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;
using static Microsoft.Playwright.Assertions;

namespace MigrationPortal.BrowserTests.Admin;

/// <summary>The dashboard an admin leaves open while a mailbox migrates, in a real browser with real Dovecot servers.</summary>
public sealed class DashboardProgressTests(BrowserFixture browser, MailServers servers)
    : IClassFixture<BrowserFixture>, IClassFixture<MailServers>
{
    private const string Email = "progress@example.org";
    private const string Password = "Progress-Passw0rd";
    private const int Messages = 3000;

    [Fact]
    public async Task OpenDashboard_WhileMigrating_ProgressBarMovesWithoutAReloadThenShowsCompleted()
    {
        await servers.Source.AddUserAsync(Email, Password);
        await servers.Destination.AddUserAsync(Email, Password);
        await servers.Source.AppendMessagesAsync(Email, Password, "INBOX", Enumerable.Range(0, Messages).Select(Message));
        var portal = new PortalServer(new Dictionary<string, string?>
        {
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
            // Ticks short enough to see the bar move several times during a pass of a few seconds.
            ["Portal:DashboardRefresh"] = "00:00:00.250",
        });
        await portal.InitializeAsync();
        try
        {
            await browser.RunAsync(nameof(OpenDashboard_WhileMigrating_ProgressBarMovesWithoutAReloadThenShowsCompleted), portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(1);
                await admin.CreateProjectAsync("Progress move", (servers.Source.Host, servers.Source.Port), (servers.Destination.Host, servers.Destination.Port));
                await admin.AddMailboxAsync(Email, sourcePassword: Password, destinationPassword: Password);
                await admin.CheckAsync(Email);
                await admin.PressAsync("Start");

                // The page reloads itself once the worker has the mailbox; from then on only the bar should change.
                var bar = page.GetByRole(AriaRole.Progressbar, new() { Name = $"Messages copied of those found for {Email}" });
                await Expect(bar).ToHaveAttributeAsync("max", Messages.ToString());
                await page.EvaluateAsync("() => { window.sameDocument = true; }");
                var first = await ReadAsync(page);

                // Watched until the bar has moved twice with the document the test marked still loaded: the script moved it.
                var seen = new List<Reading> { first };
                while (seen.Count(r => r.Value > first.Value) < 2)
                {
                    await page.WaitForTimeoutAsync(50);
                    var now = await ReadAsync(page);
                    if (!now.SameDocument)
                        Assert.Fail($"The page reloaded before its bar had moved twice (readings: {string.Join(", ", seen)}); " +
                                    "either the script reloaded it or the pass ended first (then seed more mail).");
                    if (now != seen[^1]) seen.Add(now);
                    Assert.True(seen.Count < 10_000, "The bar never moved.");
                }
                var moved = seen.First(r => r.Value > first.Value);
                Assert.InRange(moved.Value, first.Value + 1, Messages);
                Assert.NotEqual(first.Text, moved.Text); // the words beside the bar moved with it

                // When the pass ends the page reloads itself: the status says so, and no bar is left.
                await Expect(admin.StatusOf(Email)).ToHaveTextAsync(AdminSite.Exactly("Completed"), new() { Timeout = 60_000 });
                await Expect(bar).ToHaveCountAsync(0);
                await Expect(admin.Row(Email).Locator("td.last-pass")).ToContainTextAsync($"{Messages} items copied");
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    [Fact]
    public async Task OpenDashboard_PassThrottledByTheProvider_SaysSoWithoutAReload_ThenCompleted()
    {
        const string email = "throttled@example.org";
        await servers.Source.AddUserAsync(email, Password);
        await servers.Destination.AddUserAsync(email, Password);
        await servers.Source.AppendMessagesAsync(email, Password, "INBOX", Enumerable.Range(0, Messages).Select(Message));
        // Microsoft's answer to a body FETCH well into the pass (60 batches of 50), with a wait long enough to watch.
        await using var proxy = new MigrationPortal.Fixtures.Faults.ThrottlingProxy(servers.Source.Host, servers.Source.Port);
        proxy.AnswerOnce("BODY.PEEK[]", occurrence: 30, [MigrationPortal.Fixtures.Faults.ThrottlingProxy.MicrosoftThrottled(6000)]);
        var portal = new PortalServer(new Dictionary<string, string?>
        {
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
            ["Portal:DashboardRefresh"] = "00:00:00.250",
        });
        await portal.InitializeAsync();
        try
        {
            await browser.RunAsync(nameof(OpenDashboard_PassThrottledByTheProvider_SaysSoWithoutAReload_ThenCompleted), portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(1);
                await admin.CreateProjectAsync("Throttled move", (proxy.Host, proxy.Port), (servers.Destination.Host, servers.Destination.Port));
                await admin.AddMailboxAsync(email, sourcePassword: Password, destinationPassword: Password);
                await admin.CheckAsync(email);
                await admin.PressAsync("Start");

                // Once the page shows the running pass, it is marked: the throttling must then show up through the script.
                var bar = page.GetByRole(AriaRole.Progressbar, new() { Name = $"Messages copied of those found for {email}" });
                await Expect(bar).ToHaveAttributeAsync("max", Messages.ToString());
                var throttled = admin.Row(email).Locator("[data-text='throttled']");
                Assert.Equal("", (await throttled.TextContentAsync())?.Trim()); // not throttled yet when the page was made
                await page.EvaluateAsync("() => { window.sameDocument = true; }");

                await Expect(throttled).ToContainTextAsync("Throttled by the provider: resuming at", new() { Timeout = 30_000 });
                await Expect(throttled).ToContainTextAsync("Suggested Backoff Time: 6000 milliseconds");
                Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "The page reloaded to show the throttling; the script should have.");

                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Completed"), new() { Timeout = 60_000 });
                await Expect(admin.Row(email).Locator("td.last-pass")).ToContainTextAsync($"{Messages} items copied");
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    private sealed record Reading(bool SameDocument, double Value, string Text)
    {
        public override string ToString() => $"{Value} \"{Text}\"";
    }

    private static async Task<Reading> ReadAsync(IPage page)
    {
        string[] values;
        try
        {
            values = await page.EvaluateAsync<string[]>(
            """
            () => {
              const bar = document.querySelector('progress[data-of="messages"]');
              const text = document.querySelector('[data-text="messages"]');
              return [String(window.sameDocument === true), bar ? String(bar.value) : '-1', text ? text.textContent : ''];
            }
            """);
        }
        catch (PlaywrightException e) when (e.Message.Contains("context was destroyed", StringComparison.Ordinal))
        {
            return new Reading(SameDocument: false, -1, "(the page was navigating)");
        }
        return new Reading(values[0] == "true", double.Parse(values[1], System.Globalization.CultureInfo.InvariantCulture), values[2]);
    }

    private static MimeMessage Message(int i)
    {
        var message = new MimeMessage { Subject = $"Progress #{i}", Date = new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(i) };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.To.Add(new MailboxAddress("Progress", Email));
        message.Body = new TextPart("plain") { Text = $"Message {i} of the progress test.\r\n" };
        return message;
    }
}
