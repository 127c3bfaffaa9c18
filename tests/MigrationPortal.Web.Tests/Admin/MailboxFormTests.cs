using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>The Add and Edit mailbox forms given values a browser would not send, or a mailbox the project already has.</summary>
public sealed class MailboxFormTests
{
    [Fact]
    public async Task Add_CheckboxWithNonBooleanValue_ShowsTheFormWithAMessageAndAddsNothing()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var form = AdminPages.Form(await admin.Client.GetAsync($"/Admin/Mailboxes/Create?projectId={project}"));
        Tamper(form, "Input.SourceUnknown", "maybe");
        var page = await admin.Client.SubmitAsync(form, "Add mailbox", new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = "ada@example.org",
            ["Input.DestinationEmail"] = "ada@example.org",
            ["Input.DestinationPassword"] = "Dst-Passw0rd",
            ["Input.NotifyEmail"] = "ada@example.org",
        });

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("must be checked or unchecked", AdminPages.Errors(page));
        Assert.Equal("ada@example.org", ((IHtmlInputElement)page.QuerySelector("input[name='Input.SourceEmail']")!).Value);
        Assert.Equal(0, await portal.WithDbAsync(db => db.Mailboxes.CountAsync()));
    }

    [Fact]
    public async Task Edit_CheckboxWithNonBooleanValue_ShowsTheFormWithAMessageAndChangesNothing()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");

        var form = AdminPages.Form(await admin.Client.GetAsync($"/Admin/Mailboxes/Edit/{mailbox}"));
        Tamper(form, "Input.DestinationUnknown", "maybe");
        var page = await admin.Client.SubmitAsync(form, "Save", new Dictionary<string, string>
        {
            ["Input.NotifyEmail"] = "someone.else@example.net",
        });

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("must be checked or unchecked", AdminPages.Errors(page));
        var after = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.Equal("ada@example.org", after.NotifyEmail);
        Assert.NotNull(after.Destination.ProtectedPassword);
    }

    [Fact]
    public async Task Add_SameAddressesAgainInAnotherCase_RefusedWithAMessageAndNothingSaved()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        await admin.AddMailboxAsync(project, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");

        var page = await SubmitAddAsync(admin, project, "Ada@Example.ORG ", "ADA@example.org");

        Assert.Contains("This project already has a mailbox from ada@example.org to ada@example.org.", AdminPages.Errors(page));
        Assert.Equal(1, await portal.WithDbAsync(db => db.Mailboxes.CountAsync()));
        // The same addresses in another project, or another destination, are a different mailbox.
        var other = await admin.CreateProjectAsync("Second move");
        await admin.AddMailboxAsync(other, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");
        await SubmitAddAsync(admin, project, "ada@example.org", "ada@new.example.org");
        Assert.Equal(3, await portal.WithDbAsync(db => db.Mailboxes.CountAsync()));
    }

    [Fact]
    public async Task Edit_IntoADuplicateOfAnotherMailbox_RefusedWithAMessageAndNothingChanged()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        await admin.AddMailboxAsync(project, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");
        var bob = await admin.AddMailboxAsync(project, "bob@example.org", "Src-Passw0rd", "Dst-Passw0rd");

        var edit = await admin.Client.GetAsync($"/Admin/Mailboxes/Edit/{bob}");
        var page = await admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = "ADA@example.org",
            ["Input.DestinationEmail"] = "ada@EXAMPLE.org",
        });

        Assert.Contains("This project already has a mailbox from ada@example.org to ada@example.org.", AdminPages.Errors(page));
        var after = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == bob));
        Assert.Equal("bob@example.org", after.Source.Email);
        Assert.Equal("bob@example.org", after.Destination.Email);
    }

    private static async Task<IHtmlDocument> SubmitAddAsync(AdminPages admin, int project, string source, string destination)
    {
        var form = AdminPages.Form(await admin.Client.GetAsync($"/Admin/Mailboxes/Create?projectId={project}"));
        return await admin.Client.SubmitAsync(form, "Add mailbox", new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = source,
            ["Input.SourcePassword"] = "Src-Passw0rd",
            ["Input.DestinationEmail"] = destination,
            ["Input.DestinationPassword"] = "Dst-Passw0rd",
            ["Input.NotifyEmail"] = "ada@example.org",
        });
    }

    /// <summary>Gives a checkbox a value of the tester's choosing and checks it, as a hand-made request would.</summary>
    private static void Tamper(IHtmlFormElement form, string name, string value)
    {
        var box = form.Elements.OfType<IHtmlInputElement>().Single(i => i.Type == "checkbox" && i.Name == name);
        box.Value = value;
        box.IsChecked = true;
    }
}
