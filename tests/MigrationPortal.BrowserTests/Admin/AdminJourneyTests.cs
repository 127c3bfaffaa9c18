using Microsoft.Playwright;
using MigrationPortal.BrowserTests.Infrastructure;
using MigrationPortal.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace MigrationPortal.BrowserTests.Admin;

public sealed class AdminJourneyTests(BrowserFixture browser, PortalServer portal)
    : IClassFixture<BrowserFixture>, IClassFixture<PortalServer>
{
    [Fact]
    public Task StartTwoMailboxes_OneUnknownCredentials_WaitsForUserAndStopReturnsLicense() =>
        browser.RunAsync(nameof(StartTwoMailboxes_OneUnknownCredentials_WaitsForUserAndStopReturnsLicense), portal.BaseUrl, async page =>
        {
            var admin = new AdminSite(page);
            await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
            await admin.AddLicensesAsync(2);
            await admin.CreateProjectAsync("Browser move", "imap.old.test", "imap.new.test");
            await admin.AddMailboxAsync("ada@example.org", sourcePassword: null, destinationPassword: "Dest-Passw0rd");
            await admin.AddMailboxAsync("bob@example.org", sourcePassword: "Src-Passw0rd", destinationPassword: "Dest-Passw0rd");
            await Expect(admin.LicensesAvailable).ToHaveTextAsync("2");

            await admin.CheckAsync("ada@example.org");
            await admin.CheckAsync("bob@example.org");
            await admin.PressAsync("Start");

            await Expect(admin.StatusOf("ada@example.org")).ToHaveTextAsync(AdminSite.Exactly("Waiting for User"));
            await Expect(admin.StatusOf("bob@example.org")).ToHaveTextAsync(AdminSite.Exactly("Submitted"));
            await Expect(admin.LicensesAvailable).ToHaveTextAsync("0");

            await admin.CheckAsync("ada@example.org");
            await admin.PressAsync("Stop");

            await Expect(admin.StatusOf("ada@example.org")).ToHaveTextAsync(AdminSite.Exactly("Stopped"));
            await Expect(admin.StatusOf("bob@example.org")).ToHaveTextAsync(AdminSite.Exactly("Submitted"));
            await Expect(admin.LicensesAvailable).ToHaveTextAsync("1");
        });

    [Fact]
    public Task ClearCredentialsDialog_ChosenSide_IsClearedAndDeleteDialogWarnsAboutLicenses() =>
        browser.RunAsync(nameof(ClearCredentialsDialog_ChosenSide_IsClearedAndDeleteDialogWarnsAboutLicenses), portal.BaseUrl, async page =>
        {
            var admin = new AdminSite(page);
            await admin.LoginAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
            await admin.CreateProjectAsync("Dialog move", "imap.old.test", "imap.new.test");
            await admin.AddMailboxAsync("cy@example.org", sourcePassword: "Src-Passw0rd", destinationPassword: "Dest-Passw0rd");

            await admin.CheckAsync("cy@example.org");
            await admin.PressAsync("Clear Credentials");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Clear Credentials" });
            await dialog.GetByLabel("Clear Source Credentials").CheckAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Clear Credentials" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Clear Credentials: applied to 1 mailbox");

            await page.GetByRole(AriaRole.Link, new() { Name = "cy@example.org" }).ClickAsync();
            await Expect(page.Locator("dd").Filter(new() { HasText = "cy@example.org (login" }).First).ToContainTextAsync("password requested from the user");
            await page.GoBackAsync();

            await admin.CheckAsync("cy@example.org");
            await admin.PressAsync("Delete Items");
            var delete = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete Items" });
            await Expect(delete).ToContainTextAsync("Licenses they consumed are not returned");
            await delete.GetByRole(AriaRole.Button, new() { Name = "Delete Items" }).ClickAsync();
            await Expect(admin.Row("cy@example.org")).ToHaveCountAsync(0);
        });
}
