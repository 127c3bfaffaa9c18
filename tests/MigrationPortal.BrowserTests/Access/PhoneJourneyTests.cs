using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MigrationPortal.BrowserTests.Admin;
using MigrationPortal.BrowserTests.Infrastructure;
using MigrationPortal.Email;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;
using static Microsoft.Playwright.Assertions;

namespace MigrationPortal.BrowserTests.Access;

/// <summary>
/// The user's whole journey on a phone-sized screen: the emailed link, the form, the thank-you page, the status page
/// following the real engine to Completed by itself (no script), and the completion email in the real SMTP server.
/// </summary>
public sealed partial class PhoneJourneyTests(BrowserFixture browser, MailServers servers)
    : IClassFixture<BrowserFixture>, IClassFixture<MailServers>
{
    [Fact]
    public async Task UserOnAPhone_SubmitsFollowsTheStatusPageToCompleted_AndFindsTheCompletionEmail()
    {
        const string email = "phone.journey.with.a.rather.long.address@example.org";
        const string sourcePassword = "Phöne source 9";
        const string destinationPassword = "Dest-Passw0rd";
        await servers.Source.AddUserAsync(email, sourcePassword);
        await servers.Destination.AddUserAsync(email, destinationPassword);
        for (var i = 0; i < 40; i++)
            await servers.Source.AppendMessageAsync(email, sourcePassword, i % 2 == 0 ? "INBOX" : "Archive", Message(i));

        var portal = PortalServer.Emailing(servers, migrating: true, new Dictionary<string, string?> { ["Portal:StatusPageRefresh"] = "00:00:01" });
        await portal.InitializeAsync();
        try
        {
            await browser.RunAsync(nameof(UserOnAPhone_SubmitsFollowsTheStatusPageToCompleted_AndFindsTheCompletionEmail), portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(1);
                await admin.CreateProjectAsync("Phone move", (servers.Source.Host, servers.Source.Port), (servers.Destination.Host, servers.Destination.Port));
                await admin.AddMailboxAsync(email, sourcePassword: null, destinationPassword: destinationPassword);
                await admin.CheckAsync(email);
                await admin.PressAsync("Start");
                var link = await LinkOfEmailAsync(email, 0);

                // The user's phone: a browser of its own, 375 px wide, touch.
                await using var phone = await page.Context.Browser!.NewContextAsync(PhoneScreen.Options(portal.BaseUrl));
                var user = await phone.NewPageAsync();
                await user.GotoAsync(link.PathAndQuery);
                await PhoneScreen.AssertFitsAsync(user, "form");
                await user.GetByLabel("Source login name").FillAsync(email);
                await user.GetByLabel("Source password").FillAsync(sourcePassword);
                await user.GetByRole(AriaRole.Button, new() { Name = "Submit" }).TapAsync();
                await Expect(user.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your migration has started.");

                await user.GetByRole(AriaRole.Link, new() { Name = "Follow your migration's progress" }).TapAsync();
                Assert.Equal(link.AbsolutePath, new Uri(user.Url).AbsolutePath); // the emailed link itself
                // The page reloads itself (a meta refresh, no script) until the pass has completed.
                await Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Copied" })).ToBeVisibleAsync(new() { Timeout = 60_000 });
                await Expect(user.Locator("#status")).ToContainTextAsync("Your mailbox has been copied");
                await Expect(user.Locator("#last-pass")).ToContainTextAsync("40 messages copied");
                await PhoneScreen.AssertFitsAsync(user, "status page, completed");

                var completion = await EmailAsync(email, 1);
                Assert.Equal(MigrationStatusEmail.CompletedSubject, completion.Subject);
                Assert.Equal(link, new Uri(LinkPattern().Match(completion.TextBody ?? "").Value));
                Assert.Contains("40 messages", completion.TextBody);
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    private async Task<MimeMessage> EmailAsync(string email, int index)
    {
        await servers.Smtp.WaitForMessageAsync(m => servers.Smtp.Messages.Count(x => x.EnvelopeRecipients.Contains(email)) > index, TimeSpan.FromSeconds(60));
        return servers.Smtp.Messages.Where(x => x.EnvelopeRecipients.Contains(email)).ElementAt(index).Message;
    }

    private async Task<Uri> LinkOfEmailAsync(string email, int index) =>
        new(LinkPattern().Match((await EmailAsync(email, index)).TextBody ?? "").Value);

    private static MimeMessage Message(int i)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("sender@example.org"));
        message.To.Add(MailboxAddress.Parse("phone@example.org"));
        message.MessageId = $"phone-{i}-{Guid.NewGuid():N}@example.org";
        message.Subject = $"Message {i}";
        message.Body = new TextPart("plain") { Text = $"Body {i}" };
        return message;
    }

    [GeneratedRegex(@"https?://\S+/access/[A-Za-z0-9_-]+")]
    private static partial Regex LinkPattern();
}
