using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

public sealed class MailboxEditTests
{
    [Fact]
    public async Task Edit_BlankPasswordKeepsStoredOneAndUnknownSideIsAskedOnStart()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");
        var before = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));

        var edit = await admin.Client.GetAsync($"/Admin/Mailboxes/Edit/{mailbox}");
        Assert.Equal("", edit.QuerySelector("input[name='Input.SourcePassword']")!.GetAttribute("value") ?? "");
        var details = await admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string>
        {
            ["Input.NotifyEmail"] = "ada.private@example.net",
            ["Input.DestinationUnknown"] = "true",
        });

        Assert.Contains("ada.private@example.net", details.Body!.TextContent);
        var after = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.Equal(before.Source.ProtectedPassword, after.Source.ProtectedPassword);
        Assert.Null(after.Destination.ProtectedPassword);
        Assert.Contains("Mailbox edited", details.QuerySelector("table")!.TextContent);

        var dashboard = await admin.ActAsync(project, "Start", [mailbox]);
        Assert.Equal("Waiting for User", AdminPages.StatusOf(dashboard, mailbox));
        var request = await portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == mailbox));
        Assert.False(request.AsksSource);
        Assert.True(request.AsksDestination);
    }

    [Fact]
    public async Task Edit_WaitingForUser_RefusedWithStopItFirstAndNothingChanges()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, "Dst-Passw0rd");
        await admin.ActAsync(project, "Start", [mailbox]);

        var edit = await admin.Client.GetAsync($"/Admin/Mailboxes/Edit/{mailbox}");
        var page = await admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string>
        {
            ["Input.NotifyEmail"] = "someone.else@example.net",
        });

        Assert.Contains("It is Waiting for User: Stop it first.", AdminPages.Errors(page));
        var after = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.Equal("ada@example.org", after.NotifyEmail);
        var pending = await portal.WithDbAsync(db => db.CredentialRequests.CountAsync(r => r.MailboxId == mailbox && r.State == CredentialRequestState.Pending));
        Assert.Equal(1, pending);
    }

    [Fact]
    public async Task Add_KnownSideWithoutPassword_ShowsWhatToDoAndAddsNothing()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var form = await admin.Client.GetAsync($"/Admin/Mailboxes/Create?projectId={project}");
        var page = await admin.Client.SubmitAsync(AdminPages.Form(form), "Add mailbox", new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = "ada@example.org",
            ["Input.DestinationEmail"] = "ada@example.org",
            ["Input.DestinationUnknown"] = "true",
            ["Input.NotifyEmail"] = "ada@example.org",
        });

        Assert.Contains("Enter the source password, or check \"I don't know the source username or password\"", AdminPages.Errors(page));
        Assert.Equal(0, await portal.WithDbAsync(db => db.Mailboxes.CountAsync()));
    }
}
