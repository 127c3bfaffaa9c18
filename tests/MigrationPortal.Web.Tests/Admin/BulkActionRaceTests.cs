using System.Net;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>
/// Two admins acting at the same moment, through the real dashboard forms, on one real SQLite file. Each race is run
/// many times and every trial is checked: a race that goes wrong one time in ten is still a defect.
/// </summary>
public sealed class BulkActionRaceTests
{
    private static readonly int Trials = Soak.Scale(20);

    [Theory]
    [InlineData("Start")]
    [InlineData("Clear Credentials")]
    public async Task Action_RacingDeleteOfOneItem_EveryItemGetsItsOwnOutcomeAndTheRestIsActedOn(string button)
    {
        await using var portal = new PortalFactory();
        var (one, two) = (AdminPages.Open(portal), AdminPages.Open(portal));
        await one.LoginAsync();
        await two.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 3 * Trials);
        var fields = button == "Clear Credentials" ? new Dictionary<string, string> { ["clearSource"] = "true" } : null;

        for (var trial = 0; trial < Trials; trial++)
        {
            var ids = await PortalSeed.MailboxesAsync(portal, project, 3, prefix: $"t{trial}-");
            var (first, contested, last) = (ids[0], ids[1], ids[2]);
            var formOne = await one.DashboardAsync(project);
            var formTwo = await two.DashboardAsync(project);

            var acting = one.SubmitOnAsync(formOne, button, [first, contested, last], fields);
            var deleting = two.SubmitOnAsync(formTwo, "Delete Items", [contested]);
            var (action, delete) = (await acting, await deleting);

            Assert.Equal(HttpStatusCode.OK, action.Status);
            Assert.Equal(HttpStatusCode.OK, delete.Status);
            var report = AdminPages.Report(action.Page);
            // This trial's mailboxes, searched for: the project outgrows the dashboard's first page.
            var dashboard = await one.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?q=t{trial}-");
            var expected = button == "Start" ? "Submitted" : "Not Started";
            Assert.Equal(expected, AdminPages.StatusOf(dashboard, first));
            Assert.Equal(expected, AdminPages.StatusOf(dashboard, last));
            var stillThere = await portal.WithDbAsync(db => db.Mailboxes.AnyAsync(m => m.Id == contested));
            if (stillThere)
            {
                // The action won; the Delete came second and was refused (Start) or deleted after it (never both gone).
                Assert.Contains("applied to 3 mailboxes", report);
                if (button == "Start")
                    Assert.Contains("It is Submitted: Stop it first.", AdminPages.Report(delete.Page));
            }
            else
            {
                Assert.Contains("applied to 1 mailbox", AdminPages.Report(delete.Page));
                Assert.Matches("applied to [23] mailboxes", report);
                if (report.Contains("applied to 2 mailboxes"))
                    Assert.Matches("(deleted meanwhile|no longer exists)", report);
            }
            if (button == "Clear Credentials")
                Assert.Equal(0, await portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => ids.Contains(m.Id) && m.Source.ProtectedPassword != null)));
        }

        // Licenses add up: every Submitted item holds one, a deleted Submitted item's stays consumed... none was deleted Submitted.
        var held = await portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => m.License == MailboxLicenseState.Held));
        var available = await portal.WithDbAsync(db => db.LicensePools.Select(p => p.Available).SingleAsync());
        var returned = await portal.WithDbAsync(db => db.LicenseMovements.CountAsync(m => m.Kind == LicenseMovementKind.Returned));
        var holds = await portal.WithDbAsync(db => db.LicenseMovements.CountAsync(m => m.Kind == LicenseMovementKind.Held));
        Assert.Equal(3 * Trials - holds + returned, available);
        Assert.Equal(holds - returned, held);
        var errors = portal.LogLines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Start_TwoAdminsOnDisjointSelections_AllAppliedEveryTime()
    {
        await using var portal = new PortalFactory();
        var (one, two) = (AdminPages.Open(portal), AdminPages.Open(portal));
        await one.LoginAsync();
        await two.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        // One trial as the report saw it (100 each), then more with smaller selections to run the race often.
        var sizes = new[] { 100 }.Concat(Enumerable.Repeat(10, Trials - 1)).ToList();
        await PortalSeed.LicensesAsync(portal, sizes.Sum() * 2);

        foreach (var (size, trial) in sizes.Select((s, i) => (s, i)))
        {
            var ids = await PortalSeed.MailboxesAsync(portal, project, size * 2, prefix: $"d{trial}-");
            var formOne = await one.DashboardAsync(project);
            var formTwo = await two.DashboardAsync(project);

            var results = await Task.WhenAll(
                one.SubmitOnAsync(formOne, "Start", ids.Take(size)),
                two.SubmitOnAsync(formTwo, "Start", ids.Skip(size)));

            foreach (var result in results)
            {
                Assert.Equal(HttpStatusCode.OK, result.Status);
                Assert.Contains($"Start: applied to {size} mailboxes.", AdminPages.Report(result.Page));
            }
            Assert.Equal(size * 2, await portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => ids.Contains(m.Id) && m.Status == MailboxStatus.Submitted)));
        }
        Assert.Equal(0, await portal.WithDbAsync(db => db.LicensePools.Select(p => p.Available).SingleAsync()));
        var ledger = await portal.WithDbAsync(db => db.LicenseMovements.Where(m => m.Kind == LicenseMovementKind.Held)
            .Select(m => m.AvailableAfter).ToListAsync());
        // Each hold's "available after" is a distinct step down: no two holds saw the same count.
        Assert.Equal(ledger.Count, ledger.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, ledger.Count).OrderBy(x => x), ledger.OrderBy(x => x));
    }

    [Fact]
    public async Task ClearCredentials_TwoAdminsOnTheSameMailboxAtOnce_BothApplyAfterARetry()
    {
        await using var portal = new PortalFactory();
        var (one, two) = (AdminPages.Open(portal), AdminPages.Open(portal));
        await one.LoginAsync();
        await two.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);

        for (var trial = 0; trial < Trials; trial++)
        {
            var mailbox = (await PortalSeed.MailboxesAsync(portal, project, 1, prefix: $"c{trial}-"))[0];
            var formOne = await one.DashboardAsync(project);
            var formTwo = await two.DashboardAsync(project);

            // Both load the same version; whoever saves second meets a changed row and must apply again, not give up.
            var results = await Task.WhenAll(
                one.SubmitOnAsync(formOne, "Clear Credentials", [mailbox], new Dictionary<string, string> { ["clearSource"] = "true" }),
                two.SubmitOnAsync(formTwo, "Clear Credentials", [mailbox], new Dictionary<string, string> { ["clearDestination"] = "true" }));

            foreach (var result in results)
                Assert.Contains("Clear Credentials: applied to 1 mailbox.", AdminPages.Report(result.Page));
            var stored = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
            Assert.Null(stored.Source.ProtectedPassword);
            Assert.Null(stored.Destination.ProtectedPassword);
        }
    }

    [Fact]
    public async Task Start_TwoAdminsOnTheSameMailboxAtOnce_OneStartOneLicenseOneLinkOneEmail()
    {
        await using var portal = new PortalFactory();
        var (one, two) = (AdminPages.Open(portal), AdminPages.Open(portal));
        await one.LoginAsync();
        await two.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 2 * Trials);

        for (var trial = 0; trial < Trials; trial++)
        {
            // The source password unknown: a Start asks the user, so a second Start that also went through would mint a
            // second link, queue a second email and hold a second license.
            var mailbox = (await PortalSeed.MailboxesAsync(portal, project, 1, sourceKnown: false, prefix: $"s{trial}-"))[0];
            var formOne = await one.DashboardAsync(project);
            var formTwo = await two.DashboardAsync(project);

            var results = await Task.WhenAll(one.SubmitOnAsync(formOne, "Start", [mailbox]), two.SubmitOnAsync(formTwo, "Start", [mailbox]));

            Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
            var reports = results.Select(r => AdminPages.Report(r.Page)).ToList();
            Assert.Single(reports, r => r.Contains("Start: applied to 1 mailbox."));
            Assert.True(reports.Count(r => r.Contains("refused for 1") && r.Contains("It is already Waiting for User")) == 1, string.Join("\n---\n", reports));
            Assert.Equal(1, await portal.WithDbAsync(db => db.CredentialRequests.CountAsync(r => r.MailboxId == mailbox)));
            Assert.Equal(1, await portal.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.MailboxId == mailbox)));
        }
        Assert.Equal(Trials, await portal.WithDbAsync(db => db.LicensePools.Select(p => p.Available).SingleAsync()));
        Assert.Equal(Trials, await portal.WithDbAsync(db => db.LicenseMovements.CountAsync(m => m.Kind == LicenseMovementKind.Held)));
    }
}
