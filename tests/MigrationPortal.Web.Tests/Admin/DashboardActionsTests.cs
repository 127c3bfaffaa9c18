using System.Text;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>The dashboard toolbar on mixed selections, through the real pages and a real SQLite file.</summary>
public sealed class DashboardActionsTests
{
    private const string Known = "Known-Passw0rd";

    [Fact]
    public async Task Start_MixedSelection_AsksUserForUnknownCredentialsSubmitsKnownAndRefusesActive()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(5);
        var project = await admin.CreateProjectAsync();
        var unknown = await admin.AddMailboxAsync(project, "ada@example.org", null, Known);
        var known = await admin.AddMailboxAsync(project, "bob@example.org", Known, Known);
        await admin.ActAsync(project, "Start", [unknown]);

        var dashboard = await admin.ActAsync(project, "Start", [unknown, known]);

        Assert.Equal("Waiting for User", AdminPages.StatusOf(dashboard, unknown));
        Assert.Equal("Submitted", AdminPages.StatusOf(dashboard, known));
        var report = AdminPages.Report(dashboard);
        Assert.Contains("applied to 1 mailbox", report);
        Assert.Contains("ada@example.org", report);
        Assert.Contains("already Waiting for User", report);
        // One license per started item; the refused second Start held nothing more.
        Assert.Equal(3, AdminPages.LicensesAvailable(dashboard));
        var pending = await portal.WithDbAsync(db => db.CredentialRequests.CountAsync(r => r.MailboxId == unknown && r.State == CredentialRequestState.Pending));
        Assert.Equal(1, pending);
    }

    [Fact]
    public async Task Start_EmptyLicensePool_RefusedWithClearMessageAndNothingChanges()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", Known, Known);

        var dashboard = await admin.ActAsync(project, "Start", [mailbox]);

        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, mailbox));
        Assert.Contains("No license is available", AdminPages.Report(dashboard));
        Assert.Equal(0, AdminPages.LicensesAvailable(dashboard));
    }

    [Fact]
    public async Task Stop_MixedSelection_StopsActiveItemsReturnsTheirLicensesAndRefusesNotStarted()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(2);
        var project = await admin.CreateProjectAsync();
        var waiting = await admin.AddMailboxAsync(project, "ada@example.org", null, null);
        var submitted = await admin.AddMailboxAsync(project, "bob@example.org", Known, Known);
        var idle = await admin.AddMailboxAsync(project, "cy@example.org", Known, Known);
        var started = await admin.ActAsync(project, "Start", [waiting, submitted]);
        Assert.Equal(0, AdminPages.LicensesAvailable(started));

        var dashboard = await admin.ActAsync(project, "Stop", [waiting, submitted, idle]);

        Assert.Equal("Stopped", AdminPages.StatusOf(dashboard, waiting));
        Assert.Equal("Stopped", AdminPages.StatusOf(dashboard, submitted));
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, idle));
        Assert.Contains("cy@example.org", AdminPages.Report(dashboard));
        Assert.Contains("nothing to stop", AdminPages.Report(dashboard));
        Assert.Equal(2, AdminPages.LicensesAvailable(dashboard));
        var ledger = await admin.Client.GetAsync("/Admin/Licenses");
        Assert.Equal(2, ledger.QuerySelectorAll("#license-movements tbody tr").Count(r => r.TextContent.Contains("Returned")));
        var revoked = await portal.WithDbAsync(db => db.CredentialRequests.SingleAsync(r => r.MailboxId == waiting));
        Assert.Equal(CredentialRequestState.Revoked, revoked.State);
    }

    [Fact]
    public async Task ClearCredentials_MixedSelection_ClearsChosenSideOnInactiveItemsAndRefusesWaiting()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(3);
        var project = await admin.CreateProjectAsync();
        var stopped = await admin.AddMailboxAsync(project, "ada@example.org", Known, Known);
        var waiting = await admin.AddMailboxAsync(project, "bob@example.org", null, Known);
        await admin.ActAsync(project, "Start", [stopped, waiting]);
        await admin.ActAsync(project, "Stop", [stopped]);

        var dashboard = await admin.ActAsync(project, "Clear Credentials", [stopped, waiting],
            new Dictionary<string, string> { ["clearSource"] = "true" });

        Assert.Contains("applied to 1 mailbox", AdminPages.Report(dashboard));
        Assert.Contains("bob@example.org", AdminPages.Report(dashboard));
        Assert.Contains("Stop it first", AdminPages.Report(dashboard));
        Assert.Equal("Waiting for User", AdminPages.StatusOf(dashboard, waiting));
        var (source, destination) = await portal.WithDbAsync(async db =>
        {
            var m = await db.Mailboxes.AsNoTracking().SingleAsync(x => x.Id == stopped);
            return (m.Source.ProtectedPassword, m.Destination.ProtectedPassword);
        });
        Assert.Null(source);
        Assert.NotNull(destination);

        // The next Start asks the user for the cleared side only.
        var restarted = await admin.ActAsync(project, "Start", [stopped]);
        Assert.Equal("Waiting for User", AdminPages.StatusOf(restarted, stopped));
        var request = await portal.WithDbAsync(db => db.CredentialRequests.SingleAsync(r => r.MailboxId == stopped && r.State == CredentialRequestState.Pending));
        Assert.True(request.AsksSource);
        Assert.False(request.AsksDestination);
    }

    [Fact]
    public async Task ClearCredentials_NoSideChosen_RefusedAndPasswordsKept()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", Known, Known);

        var dashboard = await admin.ActAsync(project, "Clear Credentials", [mailbox]);

        Assert.Contains("Choose Clear Source Credentials, Clear Destination Credentials, or both.", AdminPages.Report(dashboard));
        var stored = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.NotNull(stored.Source.ProtectedPassword);
        Assert.NotNull(stored.Destination.ProtectedPassword);
    }

    [Fact]
    public async Task Delete_MixedSelection_RemovesInactiveItemsRefusesWaitingForUserAndKeepsLedger()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(2);
        var project = await admin.CreateProjectAsync();
        var idle = await admin.AddMailboxAsync(project, "ada@example.org", Known, Known);
        var waiting = await admin.AddMailboxAsync(project, "bob@example.org", null, null);
        var submitted = await admin.AddMailboxAsync(project, "cy@example.org", Known, Known);
        await admin.ActAsync(project, "Start", [waiting, submitted]);

        var dashboard = await admin.ActAsync(project, "Delete Items", [idle, waiting, submitted]);

        Assert.Equal("(no such row)", AdminPages.StatusOf(dashboard, idle));
        Assert.Equal("Waiting for User", AdminPages.StatusOf(dashboard, waiting));
        Assert.Equal("Submitted", AdminPages.StatusOf(dashboard, submitted));
        var report = AdminPages.Report(dashboard);
        Assert.Contains("It is Waiting for User: Stop it first, then delete it.", report);
        Assert.Contains("It is Submitted: Stop it first.", report);
        Assert.Equal(0, AdminPages.LicensesAvailable(dashboard));

        // Stopped, then deleted: the held license came back on Stop; the ledger keeps the item's name.
        await admin.ActAsync(project, "Stop", [waiting]);
        var after = await admin.ActAsync(project, "Delete Items", [waiting]);
        Assert.Equal("(no such row)", AdminPages.StatusOf(after, waiting));
        Assert.Equal(1, AdminPages.LicensesAvailable(after));
        var ledger = await admin.Client.GetAsync("/Admin/Licenses");
        Assert.Contains("bob@example.org (deleted)", ledger.QuerySelector("#license-movements")!.TextContent);
        Assert.Equal(0, await portal.WithDbAsync(db => db.MailboxEvents.CountAsync(e => e.MailboxId == waiting)));
    }

    [Fact]
    public async Task DeleteDialog_SaysLicensesAreNotReturnedAndMigratedMailIsKept()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();

        var dashboard = await admin.DashboardAsync(project);

        var dialog = dashboard.QuerySelector("dialog#delete-dialog")!.TextContent;
        Assert.Contains("Licenses they consumed are not returned", dialog);
        Assert.Contains("Mail already migrated to the destination is not touched", dialog);
    }

    [Fact]
    public async Task ToolbarAction_AsGetRequest_ChangesNothing()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", Known, Known);

        await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?handler=Start&selected={mailbox}");
        await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?handler=Delete&selected={mailbox}");

        var dashboard = await admin.DashboardAsync(project);
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, mailbox));
        Assert.Equal(1, AdminPages.LicensesAvailable(dashboard));
    }

    [Fact]
    public async Task StoredPasswords_AreNotReadableInTheDatabaseFileOrPagesOrLogs()
    {
        const string secret = "Sëcret-Pässwörd-∆-1234567";
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", secret, secret);

        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        var edit = await admin.Client.GetAsync($"/Admin/Mailboxes/Edit/{mailbox}");
        var dashboard = await admin.DashboardAsync(project);
        Assert.DoesNotContain(secret, details.Source.Text);
        Assert.DoesNotContain(secret, edit.Source.Text);
        Assert.DoesNotContain(secret, dashboard.Source.Text);
        Assert.Contains("password stored", details.Body!.TextContent);

        // Ciphertext is stored, and the portal can still read it back.
        var stored = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.NotNull(stored.Source.ProtectedPassword);
        var protector = portal.Services.GetRequiredService<MigrationPortal.Core.IPasswordProtector>();
        Assert.Equal(secret, protector.Unprotect(stored.Source.ProtectedPassword!));

        Assert.DoesNotContain(portal.LogLines, line => line.Contains(secret));
        // The database file and its write-ahead log as they are on disk now (SQLite), or a dump of the database (PostgreSQL).
        var contents = await portal.DatabaseContentsAsync();
        Assert.NotEmpty(contents);
        foreach (var (name, bytes) in contents)
        {
            Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(secret)), $"{name} holds the password in clear");
            Assert.False(Contains(bytes, Encoding.Unicode.GetBytes(secret)), $"{name} holds the password in UTF-16");
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
