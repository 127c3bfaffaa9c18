using Microsoft.Playwright;
using MigrationPortal.BrowserTests.Admin;
using MigrationPortal.BrowserTests.Infrastructure;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;
using static Microsoft.Playwright.Assertions;

namespace MigrationPortal.BrowserTests.Access;

/// <summary>The seed's whole story in a real browser, with real Dovecot servers and a real SMTP server.</summary>
public sealed class CredentialStoryTests(BrowserFixture browser, MailServers servers)
    : IClassFixture<BrowserFixture>, IClassFixture<MailServers>
{
    [Fact]
    public async Task WrongSourcePassword_FailsThenClearAndStartSendsANewLinkThatWorks()
    {
        const string email = "story@example.org";
        const string sourcePassword = "Söurce pass 42";
        await servers.Source.AddUserAsync(email, sourcePassword);
        await servers.Destination.AddUserAsync(email, "Dest-Passw0rd");
        var portal = PortalServer.Emailing(servers);
        await portal.InitializeAsync();
        try
        {
            await browser.RunAsync(nameof(WrongSourcePassword_FailsThenClearAndStartSendsANewLinkThatWorks), portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(2);
                await admin.CreateProjectAsync("Story move", (servers.Source.Host, servers.Source.Port), (servers.Destination.Host, servers.Destination.Port));
                await admin.AddMailboxAsync(email, sourcePassword: null, destinationPassword: "Dest-Passw0rd");

                await admin.CheckAsync(email);
                await admin.PressAsync("Start");
                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Waiting for User"));
                var firstLink = await NextLinkAsync(email, 0);

                // The user, in a browser of their own, types a wrong source password.
                var user = await page.Context.Browser!.NewPageAsync(new() { BaseURL = portal.BaseUrl });
                await user.GotoAsync(firstLink);
                await Expect(user.GetByText("Story move")).ToBeVisibleAsync();
                await user.GetByLabel("Source login name").FillAsync(email);
                await user.GetByLabel("Source password").FillAsync("wrong password");
                await user.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Alert)).ToContainTextAsync("Your source credentials were not accepted");

                // The admin sees why it failed on the dashboard left open since Start: its script reloads it when a status
                // moves on (reloading it here as well raced that reload and aborted one of the two navigations).
                await Expect(admin.StatusOf(email)).ToContainTextAsync("Failed");
                await admin.StatusOf(email).GetByText("Failed").ClickAsync();
                await Expect(admin.StatusOf(email)).ToContainTextAsync("Source credentials are incorrect");

                // Stop (there is nothing running, and the dashboard says so), clear the source credentials, start again.
                await admin.CheckAsync(email);
                await admin.PressAsync("Stop");
                await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("nothing to stop");
                await admin.CheckAsync(email);
                await admin.PressAsync("Clear Credentials");
                var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Clear Credentials" });
                await dialog.GetByLabel("Clear Source Credentials").CheckAsync();
                await dialog.GetByRole(AriaRole.Button, new() { Name = "Clear Credentials" }).ClickAsync();
                await admin.CheckAsync(email);
                await admin.PressAsync("Start");
                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Waiting for User"));
                var secondLink = await NextLinkAsync(email, 1);
                Assert.NotEqual(firstLink, secondLink);

                // The old link is dead; the new one with the right password moves the item on.
                await user.GotoAsync(firstLink);
                await Expect(user.GetByText("This link is no longer valid. Ask your administrator to send a new one.")).ToBeVisibleAsync();
                await user.GotoAsync(secondLink);
                await user.GetByLabel("Source login name").FillAsync(email);
                await user.GetByLabel("Source password").FillAsync(sourcePassword);
                await user.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your migration has started.");

                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Submitted"));
                await user.CloseAsync();
            });
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    [Fact]
    public async Task RightSourcePassword_WorkerMigratesToCompletedAndTheDestinationHoldsTheSameMessages()
    {
        const string email = "journey@example.org";
        const string sourcePassword = "Jöurney source 7";
        const string destinationPassword = "Dest-Passw0rd";
        await servers.Source.AddUserAsync(email, sourcePassword);
        await servers.Destination.AddUserAsync(email, destinationPassword);
        // A handful of messages in three folders, one nested in another that holds mail itself, one with an attachment.
        foreach (var (folder, message) in new[]
        {
            ("INBOX", Message("Welcome", "Hello and welcome.")),
            ("INBOX", Message("Grüße aus Köln", "Schöne Grüße!")),
            ("INBOX", Message("Invoice", "The invoice is attached.", attachment: "invoice.pdf")),
            ("Projects", Message("Kick-off", "Monday at nine.")),
            ("Projects/2026", Message("Plan 2026", "First draft.")),
            ("Projects/2026", Message("Plan 2026 (v2)", "Second draft.")),
        })
            await servers.Source.AppendMessageAsync(email, sourcePassword, folder, message);
        var source = await MailboxContent.ReadAsync(servers.Source, email, sourcePassword);

        // This journey is about what the migration worker does.
        var portal = PortalServer.Emailing(servers, migrating: true);
        await portal.InitializeAsync();
        try
        {
            await browser.RunAsync(nameof(RightSourcePassword_WorkerMigratesToCompletedAndTheDestinationHoldsTheSameMessages), portal.BaseUrl, async page =>
            {
                var admin = new AdminSite(page);
                await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
                await admin.AddLicensesAsync(1);
                await admin.CreateProjectAsync("Journey move", (servers.Source.Host, servers.Source.Port), (servers.Destination.Host, servers.Destination.Port));
                await admin.AddMailboxAsync(email, sourcePassword: null, destinationPassword: destinationPassword);

                await admin.CheckAsync(email);
                await admin.PressAsync("Start");
                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Waiting for User"));
                var link = await NextLinkAsync(email, 0);

                // The user, in a browser of their own, gives the right source password.
                var user = await page.Context.Browser!.NewPageAsync(new() { BaseURL = portal.BaseUrl });
                await user.GotoAsync(link);
                await Expect(user.GetByText("Journey move")).ToBeVisibleAsync();
                await user.GetByLabel("Source login name").FillAsync(email);
                await user.GetByLabel("Source password").FillAsync(sourcePassword);
                await user.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
                await Expect(user.GetByRole(AriaRole.Status)).ToHaveTextAsync("Thank you — your migration has started.");
                await user.CloseAsync();

                // The admin's dashboard, left open since Start, comes to Completed by itself (its script reloads it when
                // a status moves on); the mailbox's page says what the pass moved.
                await Expect(admin.StatusOf(email)).ToHaveTextAsync(AdminSite.Exactly("Completed"), new() { Timeout = 60_000 });
                await page.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }).ClickAsync();
                var pass = page.GetByRole(AriaRole.Table).Filter(new() { Has = page.GetByRole(AriaRole.Columnheader, new() { Name = "Copied" }) })
                    .GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = "Completed", Exact = true }) });
                await Expect(pass).ToHaveCountAsync(1);
                await Expect(pass.Locator("td.copied")).ToContainTextAsync($"{source.MessageCount} messages");
                await Expect(pass.Locator("td.failed")).ToHaveTextAsync("0");
            });

            // The destination holds exactly the source's mail: the same folders, and in each the same messages, byte for byte.
            var destination = await MailboxContent.ReadAsync(servers.Destination, email, destinationPassword);
            Assert.Equal(6, source.MessageCount);
            Assert.Empty(destination.DifferencesFrom(source));
        }
        finally
        {
            await portal.DisposeAsync();
        }
    }

    private static MimeMessage Message(string subject, string text, string? attachment = null)
    {
        var message = new MimeMessage { Subject = subject };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.To.Add(new MailboxAddress("Journey", "journey@example.org"));
        var body = new BodyBuilder { TextBody = text + "\r\n" };
        if (attachment is not null)
            body.Attachments.Add(attachment, Enumerable.Range(0, 20_000).Select(i => (byte)(i * 31)).ToArray(), new ContentType("application", "pdf"));
        message.Body = body.ToMessageBody();
        return message;
    }

    private Task<string> NextLinkAsync(string email, int index) => EmailedLinks.NthAsync(servers.Smtp, email, index);
}
