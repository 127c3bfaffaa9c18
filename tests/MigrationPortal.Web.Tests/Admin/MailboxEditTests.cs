using System.Net;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Data.Mailboxes;
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
    public async Task Edit_TwoAdminsOpenedTheSameMailbox_SecondSaveShowsItChangedAndTheFirstChangeStands()
    {
        await using var portal = new PortalFactory();
        var first = AdminPages.Open(portal);
        await first.LoginAsync();
        var second = AdminPages.Open(portal);
        await second.LoginAsync();
        var project = await first.CreateProjectAsync();
        var mailbox = await first.AddMailboxAsync(project, "ada@example.org", "Src-Passw0rd", "Dst-Passw0rd");
        var firstForm = await first.Client.GetAsync($"/Admin/Mailboxes/Edit/{mailbox}");
        var secondForm = await second.Client.GetAsync($"/Admin/Mailboxes/Edit/{mailbox}");

        await first.Client.SubmitAsync(AdminPages.Form(firstForm), "Save", new Dictionary<string, string> { ["Input.NotifyEmail"] = "ada.first@example.net" });
        Assert.Equal($"/Admin/Mailboxes/Details/{mailbox}", first.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        var refused = await second.Client.SubmitAsync(AdminPages.Form(secondForm), "Save", new Dictionary<string, string>
        {
            ["Input.NotifyEmail"] = "ada.second@example.net",
            ["Input.DestinationUnknown"] = "true",
        });

        // The same page, not an error page: the message, a way to reload, and the second admin's typing still there.
        Assert.Equal(HttpStatusCode.OK, second.Client.LastResponse!.StatusCode);
        Assert.Equal($"/Admin/Mailboxes/Edit/{mailbox}", second.Client.LastResponse.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains(MailboxOutcome.ChangedText, refused.QuerySelector("#changed-meanwhile")?.TextContent ?? "(no message) " + refused.Body!.TextContent);
        Assert.Equal($"/Admin/Mailboxes/Edit/{mailbox}", refused.QuerySelector("#changed-meanwhile a")!.GetAttribute("href"));
        Assert.Equal("ada.second@example.net", refused.QuerySelector("input[name='Input.NotifyEmail']")!.GetAttribute("value"));
        var after = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.Equal("ada.first@example.net", after.NotifyEmail);
        Assert.NotNull(after.Destination.ProtectedPassword);

        // Saving the refused form again is refused again; after the reload the same change goes through.
        await second.Client.SubmitAsync(AdminPages.Form(refused), "Save");
        Assert.Equal($"/Admin/Mailboxes/Edit/{mailbox}", second.Client.LastResponse.RequestMessage!.RequestUri!.AbsolutePath);
        var reloaded = await second.Client.GetAsync(refused.QuerySelector("#changed-meanwhile a")!.GetAttribute("href")!);
        Assert.Equal("ada.first@example.net", reloaded.QuerySelector("input[name='Input.NotifyEmail']")!.GetAttribute("value"));
        await second.Client.SubmitAsync(AdminPages.Form(reloaded), "Save", new Dictionary<string, string> { ["Input.DestinationUnknown"] = "true" });
        Assert.Equal($"/Admin/Mailboxes/Details/{mailbox}", second.Client.LastResponse.RequestMessage!.RequestUri!.AbsolutePath);
        var last = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.Equal("ada.first@example.net", last.NotifyEmail);
        Assert.Null(last.Destination.ProtectedPassword);
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
