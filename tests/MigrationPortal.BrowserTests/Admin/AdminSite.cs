using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MigrationPortal.BrowserTests.Admin;

/// <summary>Page object for the admin area; locators by role and label, so they double as an accessibility check.</summary>
public sealed class AdminSite(IPage page)
{
    public IPage Page => page;

    public async Task LoginAsync(string email, string password)
    {
        await page.GotoAsync("/Admin");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Projects" }).WaitForAsync();
    }

    public async Task AddLicensesAsync(int quantity)
    {
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Licenses" }).ClickAsync();
        await page.GetByLabel("Licenses to add").FillAsync(quantity.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Add licenses" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Added {quantity}" }).WaitForAsync();
    }

    public Task CreateProjectAsync(string name, string sourceHost, string destinationHost) =>
        CreateProjectAsync(name, (sourceHost, 993), (destinationHost, 993), "Tls");

    public async Task CreateProjectAsync(string name, (string Host, int Port) source, (string Host, int Port) destination, string security = "None")
    {
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Projects" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New project" }).ClickAsync();
        await page.GetByLabel("Project name").FillAsync(name);
        await page.GetByLabel("Source IMAP host").FillAsync(source.Host);
        await page.GetByLabel("Source port").FillAsync(source.Port.ToString());
        await page.GetByLabel("Source security").SelectOptionAsync(security);
        await page.GetByLabel("Destination IMAP host").FillAsync(destination.Host);
        await page.GetByLabel("Destination port").FillAsync(destination.Port.ToString());
        await page.GetByLabel("Destination security").SelectOptionAsync(security);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = name }).WaitForAsync();
    }

    /// <summary>From the project dashboard; a null password is "I don't know the username or password".</summary>
    public async Task AddMailboxAsync(string email, string? sourcePassword, string? destinationPassword)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Add mailbox" }).ClickAsync();
        await page.GetByLabel("Source email").FillAsync(email);
        await FillSideAsync("source", sourcePassword);
        await page.GetByLabel("Destination email").FillAsync(email);
        await FillSideAsync("destination", destinationPassword);
        await page.GetByLabel("Notify the mailbox user at").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add mailbox" }).ClickAsync();
        await Row(email).WaitForAsync();
    }

    private async Task FillSideAsync(string side, string? password)
    {
        var fieldset = page.GetByRole(AriaRole.Group, new() { Name = $"{char.ToUpperInvariant(side[0])}{side[1..]} mailbox" });
        if (password is null)
            await fieldset.GetByLabel("I don't know the username or password").CheckAsync();
        else
            await fieldset.GetByLabel($"{char.ToUpperInvariant(side[0])}{side[1..]} password").FillAsync(password);
    }

    public ILocator Row(string email) => page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }) });

    public Task CheckAsync(string email) => page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select {email}" }).CheckAsync();

    public Task PressAsync(string toolbarButton) =>
        page.GetByRole(AriaRole.Toolbar).GetByRole(AriaRole.Button, new() { Name = toolbarButton, Exact = true }).ClickAsync();

    public ILocator StatusOf(string email) => Row(email).Locator("td.status");

    public ILocator LicensesAvailable => page.Locator("#licenses-available");

    public static Regex Exactly(string text) => new($"^\\s*{Regex.Escape(text)}\\s*$");
}
