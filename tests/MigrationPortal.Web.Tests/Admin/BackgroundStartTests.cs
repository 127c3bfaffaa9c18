using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Web.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;
using MigrationPortal.Web.Worker;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>
/// Start on a large selection is queued on its report and applied by the background worker (the request only
/// triages and queues; see <see cref="LargeSelectionTests"/> for the dashboard's side). These tests start from the
/// queue a request, or a worker that died, left in the database.
/// </summary>
public sealed class BackgroundStartTests
{
    [Fact]
    public async Task Start_ClaimedByAWorkerThatDied_StartedOnceAfterItsLeaseWithThePassTheAdminChose()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 400);
        var known = await PortalSeed.MailboxesAsync(portal, project, 300);
        var asking = await PortalSeed.MailboxesAsync(portal, project, 100, sourceKnown: false, prefix: "ask");
        var gone = (await PortalSeed.MailboxesAsync(portal, project, 1, prefix: "gone")).Single();
        var before = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

        // What a dead worker leaves behind: every item claimed, the claim lapsed, nothing started. One mailbox of the
        // selection was deleted since.
        var reportId = await portal.WithDbAsync(async db =>
        {
            var report = new ActionReport(project, MailboxActionService.Start, PortalFactory.AdminEmail, DateTimeOffset.UtcNow,
                PassRequest.Create(PassKind.PreStage, before));
            var position = 0;
            foreach (var id in known.Concat(asking).Append(gone))
                report.Items.Add(new ActionReportItem(position++, id, $"#{id}", ActionItemState.Running, null));
            db.ActionReports.Add(report);
            await db.SaveChangesAsync();
            await db.Mailboxes.Where(m => m.Id == gone).ExecuteDeleteAsync();
            await db.ActionReportItems.Where(i => i.ReportId == report.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.ClaimedUntil, DateTimeOffset.UtcNow.AddMinutes(-1)));
            return report.Id;
        });
        portal.Services.GetRequiredService<BackgroundStartSignal>().Notify();

        var dashboard = await admin.WaitForReportAsync(await admin.Client.GetAsync($"/Admin/Projects/Dashboard/{project}?report={reportId}"));

        var text = AdminPages.Report(dashboard);
        Assert.Contains("Start: applied to 400 mailboxes, refused for 1.", text);
        Assert.Contains("It no longer exists in this project.", text);
        var started = await portal.WithDbAsync(db => db.Mailboxes.Where(m => m.ProjectId == project)
            .Select(m => new { m.Id, m.Status, m.RequestedPassKind, m.RequestedPreStageBefore }).ToListAsync());
        Assert.All(started, m => Assert.Equal((PassKind.PreStage, before), (m.RequestedPassKind, m.RequestedPreStageBefore)));
        Assert.Equal(known.Order(), started.Where(m => m.Status == MailboxStatus.Submitted).Select(m => m.Id).Order());
        Assert.Equal(asking.Order(), started.Where(m => m.Status == MailboxStatus.WaitingForUser).Select(m => m.Id).Order());
        // Once each: one license held and one history line per mailbox, one email per asking user.
        Assert.Equal(400, await portal.WithDbAsync(db => db.LicenseMovements.CountAsync(m => m.Kind == LicenseMovementKind.Held)));
        Assert.Equal(asking.Order(), (await portal.WithDbAsync(db => db.OutboxMessages.Select(m => m.MailboxId!.Value).ToListAsync())).Order());
        Assert.Equal(400, await portal.WithDbAsync(db => db.MailboxEvents.CountAsync(e => e.Description.StartsWith("Started (Pre-Stage before 2026-11-01)"))));
        Assert.Equal(0, await portal.WithDbAsync(db => db.ActionReportItems.CountAsync(i => i.ClaimedUntil != null)));
    }
}
