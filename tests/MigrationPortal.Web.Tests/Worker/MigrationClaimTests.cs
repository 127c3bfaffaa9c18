using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Data;
using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Web.Tests.Infrastructure;
using MigrationPortal.Web.Worker;
using static MigrationPortal.Web.Tests.Worker.ClaimSteps;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>
/// How workers take mailboxes to migrate, on the run's real database (SQLite or PostgreSQL): at most the project's cap
/// at once, never one mailbox twice, and a claim whose worker died taken over once its lease lapsed, the old holder
/// fenced out.
/// </summary>
public sealed class MigrationClaimTests
{
    [Fact]
    public async Task TryClaimNext_ManyWorkersAtOnce_NeverMoreThanTheProjectsCapAndNeverOneMailboxTwice()
    {
        await using var portal = new PortalFactory();
        var capped = await PortalSeed.ProjectAsync(portal, "Capped", maxConcurrent: 2);
        var roomy = await PortalSeed.ProjectAsync(portal, "Roomy", maxConcurrent: 50);
        await PortalSeed.LicensesAsync(portal, 400);

        for (var trial = 0; trial < 20; trial++)
        {
            var cappedIds = await SubmittedAsync(portal, capped, 6, $"c{trial}-");
            var roomyIds = await SubmittedAsync(portal, roomy, 6, $"r{trial}-");

            var claims = (await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => ClaimAsync(portal, $"worker-{i}")))))
                .OfType<Claim>().ToList();

            Assert.Equal(claims.Count, claims.Select(c => c.MailboxId).Distinct().Count());
            Assert.Equal(2, claims.Count(c => c.ProjectId == capped));
            Assert.Equal(6, claims.Count(c => c.ProjectId == roomy));
            Assert.All(claims, c => Assert.Contains(c.MailboxId, cappedIds.Concat(roomyIds)));

            // A pass that ended (the mailbox is no longer Submitted) frees its slot for the next mailbox of the project.
            var done = claims.First(c => c.ProjectId == capped);
            await RunAsync(portal, done.MailboxId, (work, _) => work.Mailbox.Stop(work.Licenses, "admin", work.Now));
            await WithStoreAsync(portal, store => store.ReleaseAsync(done, default));
            var next = await ClaimAsync(portal, "worker-next");
            Assert.NotNull(next);
            Assert.Equal(capped, next.ProjectId);
            Assert.DoesNotContain(next.MailboxId, claims.Select(c => c.MailboxId));

            await portal.WithDbAsync(db => db.MigrationClaims.ExecuteDeleteAsync());
            await FinishAsync(portal, cappedIds.Concat(roomyIds).Where(id => id != done.MailboxId));
        }
    }

    [Fact]
    public async Task TryClaimNext_OnlySubmittedMailboxesAreTaken()
    {
        await using var portal = new PortalFactory();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 5);
        await PortalSeed.MailboxesAsync(portal, project, 2, prefix: "idle");
        var waiting = (await PortalSeed.MailboxesAsync(portal, project, 1, sourceKnown: false, prefix: "waiting"))[0];
        await RunAsync(portal, waiting, (work, rules) => work.Mailbox.Start(work.Licenses, rules, "admin", work.Now));
        Assert.Equal(MailboxStatus.WaitingForUser, await portal.WithDbAsync(db => db.Mailboxes.Where(m => m.Id == waiting).Select(m => m.Status).SingleAsync()));

        Assert.Null(await ClaimAsync(portal, "worker"));
    }

    [Fact]
    public async Task TryClaimNext_WorkerDied_TakenOverAfterTheLeaseAndTheOldClaimIsFencedOut()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        await using var portal = new PortalFactory(clock: clock);
        var project = await PortalSeed.ProjectAsync(portal, maxConcurrent: 1);
        await PortalSeed.LicensesAsync(portal, 1);
        var mailbox = (await SubmittedAsync(portal, project, 1, "m"))[0];

        var first = await ClaimAsync(portal, "worker-a");
        Assert.Equal(mailbox, first!.MailboxId);
        Assert.Null(await ClaimAsync(portal, "worker-b"));
        clock.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Null(await ClaimAsync(portal, "worker-b"));

        clock.Advance(TimeSpan.FromSeconds(1));
        var second = await ClaimAsync(portal, "worker-b");

        Assert.Equal(mailbox, second!.MailboxId);
        Assert.NotEqual(first.ClaimId, second.ClaimId);
        Assert.Equal(ClaimStanding.Lost, await WithStoreAsync(portal, store => store.RenewAsync(first, Lease, default)));
        Assert.False(await WithStoreAsync(portal, store => store.HoldsAsync(first, default)));
        Assert.Equal(ClaimStanding.Held, await WithStoreAsync(portal, store => store.RenewAsync(second, Lease, default)));
        // The old worker's release does not free the new worker's claim.
        await WithStoreAsync(portal, store => store.ReleaseAsync(first, default));
        Assert.True(await WithStoreAsync(portal, store => store.HoldsAsync(second, default)));
    }

    [Fact]
    public async Task TryClaimNext_SlotOfALapsedClaim_GoesToTheNextMailboxAndTheOldWorkerCannotComeBack()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        await using var portal = new PortalFactory(clock: clock);
        var project = await PortalSeed.ProjectAsync(portal, maxConcurrent: 1);
        await PortalSeed.LicensesAsync(portal, 3);
        var stopped = (await SubmittedAsync(portal, project, 1, "a"))[0];
        var old = (await ClaimAsync(portal, "worker-a"))!;
        // Stopped by an admin while its worker seems away: the worker's claim keeps the project's one slot until it lapses.
        await RunAsync(portal, stopped, (work, _) => work.Mailbox.Stop(work.Licenses, "admin", work.Now));
        var waiting = await SubmittedAsync(portal, project, 2, "b");
        Assert.Null(await ClaimAsync(portal, "worker-b"));

        clock.Advance(Lease);
        var next = await ClaimAsync(portal, "worker-b");

        Assert.Equal(waiting[0], next!.MailboxId);
        // The old worker wakes up: its heartbeat finds its claim gone, so it stops instead of running beside the new one.
        Assert.Equal(ClaimStanding.Lost, await WithStoreAsync(portal, store => store.RenewAsync(old, Lease, default)));
        Assert.Equal(1, await portal.WithDbAsync(db => db.MigrationClaims.CountAsync(c => c.ProjectId == project)));
        Assert.Null(await ClaimAsync(portal, "worker-c"));
    }

    [Fact]
    public async Task TryClaimNext_CapLoweredBelowTheRunningPasses_NothingNewUntilFewerRunThanTheNewCap()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal, maxConcurrent: 3);
        await PortalSeed.LicensesAsync(portal, 10);
        var ids = await SubmittedAsync(portal, project, 8, "m");
        var running = new List<Claim>();
        for (var i = 0; i < 3; i++)
            running.Add((await ClaimAsync(portal, $"worker-{i}"))!);
        Assert.Null(await ClaimAsync(portal, "worker-3"));

        // Three run where two may: the first to end leaves two, and nothing new starts; the next leaves one, and one starts
        // (the pass still running above the new cap does not hold the place freed under it).
        await admin.SetMaxConcurrentMigrationsAsync(project, 2);
        await EndAsync(portal, running[0]);
        Assert.Null(await ClaimAsync(portal, "worker-3"));
        await EndAsync(portal, running[1]);
        var second = (await ClaimAsync(portal, "worker-3"))!;
        Assert.Null(await ClaimAsync(portal, "worker-4"));

        // Two run where one may: nothing new until both ended.
        await admin.SetMaxConcurrentMigrationsAsync(project, 1);
        await EndAsync(portal, running[2]);
        Assert.Null(await ClaimAsync(portal, "worker-4"));
        await EndAsync(portal, second);
        var first = (await ClaimAsync(portal, "worker-4"))!;
        Assert.Null(await ClaimAsync(portal, "worker-5"));

        // Raised again: as many run as the new cap allows, and no more.
        await admin.SetMaxConcurrentMigrationsAsync(project, 4);
        var more = new[] { await ClaimAsync(portal, "worker-5"), await ClaimAsync(portal, "worker-6"), await ClaimAsync(portal, "worker-7") };
        Assert.All(more, Assert.NotNull);
        Assert.Null(await ClaimAsync(portal, "worker-8"));
        Assert.Equal(4, await portal.WithDbAsync(db => db.MigrationClaims.CountAsync(c => c.ProjectId == project)));
        Assert.Equal(ids.Skip(3).Take(5), more.Prepend(first).Prepend(second).Select(c => c!.MailboxId).Order());
    }

    /// <summary>A worker's pass ended (the mailbox Stopped, out of the queue) and its claim released.</summary>
    private static async Task EndAsync(PortalFactory portal, Claim claim)
    {
        await RunAsync(portal, claim.MailboxId, (work, _) => work.Mailbox.Stop(work.Licenses, "migration engine", work.Now), claim);
        await WithStoreAsync(portal, store => store.ReleaseAsync(claim, default));
    }

    [Fact]
    public async Task SaveCheckpoint_AfterTheLeaseWasTakenOver_RefusedAndNothingWrittenWhileTheNewHolderSaves()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        await using var portal = new PortalFactory(clock: clock);
        var project = await PortalSeed.ProjectAsync(portal, maxConcurrent: 1);
        await PortalSeed.LicensesAsync(portal, 1);
        var mailbox = (await SubmittedAsync(portal, project, 1, "f"))[0];
        var first = (await ClaimAsync(portal, "worker-a"))!;
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.BeginPass(work.Now), first);
        await SaveBatchAsync(portal, first, highestUid: 10, messages: 10);

        clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var second = (await ClaimAsync(portal, "worker-b"))!;

        // The worker whose lease lapsed is fenced out of the pass's own rows too, not only the mailbox's.
        await Assert.ThrowsAsync<CheckpointRefusedException>(() => SaveBatchAsync(portal, first, highestUid: 20, messages: 10));
        Assert.Equal((10u, 10), await CheckpointAndCopiedAsync(portal, second));
        await SaveBatchAsync(portal, second, highestUid: 30, messages: 20);
        Assert.Equal((30u, 30), await CheckpointAndCopiedAsync(portal, second));
    }

    private static async Task SaveBatchAsync(PortalFactory portal, Claim claim, uint highestUid, int messages)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        await Store(scope, claim).SaveAsync(new BatchProgress(new FolderCheckpoint("INBOX", 7, highestUid), messages, messages * 100L), default);
    }

    private static async Task<(uint Highest, int Copied)> CheckpointAndCopiedAsync(PortalFactory portal, Claim claim)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var checkpoint = await Store(scope, claim).GetAsync("INBOX", default);
        var copied = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().MigrationPasses
            .Where(p => p.MailboxId == claim.MailboxId).SumAsync(p => p.ItemsCopied);
        return (checkpoint!.HighestCopiedUid, copied);
    }

    private static DatabaseCheckpointStore Store(AsyncServiceScope scope, Claim claim) => new(
        scope.ServiceProvider.GetRequiredService<PortalDbContext>(), scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>(),
        scope.ServiceProvider.GetRequiredService<PassProgressWriter>(), claim);

    [Fact]
    public async Task Stop_MigratingWithAWorker_StoppingUntilTheWorkerEndsThePassThenLicenseSettledFromWhatMoved()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 1);
        var mailbox = (await SubmittedAsync(portal, project, 1, "m"))[0];
        var claim = (await ClaimAsync(portal, "worker"))!;
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.BeginPass(work.Now), claim);

        var stopping = await admin.ActAsync(project, "Stop", [mailbox]);

        Assert.Equal("Stopping", AdminPages.StatusOf(stopping, mailbox));
        Assert.Contains("Stop: applied to 1 mailbox", AdminPages.Report(stopping));
        Assert.Equal(ClaimStanding.StopRequested, await WithStoreAsync(portal, store => store.RenewAsync(claim, Lease, default)));
        // Nothing is settled before the worker says what it copied, and a second Stop does not cut in.
        Assert.Equal(0, AdminPages.LicensesAvailable(stopping));
        Assert.Contains("its worker ends the pass within seconds", AdminPages.Report(await admin.ActAsync(project, "Stop", [mailbox])));

        // The worker's last messages land, then it ends the pass.
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.RecordProgress(3, 3_000), claim);
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.Stop(work.Licenses, "migration engine", work.Now), claim);
        await WithStoreAsync(portal, store => store.ReleaseAsync(claim, default));

        var stopped = await admin.DashboardAsync(project);
        Assert.Equal("Stopped", AdminPages.StatusOf(stopped, mailbox));
        Assert.Equal(0, AdminPages.LicensesAvailable(stopped)); // data moved: the license is consumed, not returned
        var pass = await portal.WithDbAsync(db => db.MigrationPasses.AsNoTracking().SingleAsync(p => p.MailboxId == mailbox));
        Assert.Equal(3, pass.ItemsCopied);
        Assert.Equal(PassOutcome.Stopped, pass.Outcome);
    }

    [Fact]
    public async Task Stop_MigratingWhoseWorkerIsGone_StopsAtOnceAndTheLateWorkerIsFencedOut()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        await using var portal = new PortalFactory(clock: clock);
        var admin = AdminPages.Open(portal);
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 1);
        var mailbox = (await SubmittedAsync(portal, project, 1, "m"))[0];
        var claim = (await ClaimAsync(portal, "worker"))!;
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.BeginPass(work.Now), claim);
        clock.Advance(Lease + TimeSpan.FromSeconds(1));
        await admin.LoginAsync();

        var stopped = await admin.ActAsync(project, "Stop", [mailbox]);

        Assert.Equal("Stopped", AdminPages.StatusOf(stopped, mailbox));
        Assert.Equal(1, AdminPages.LicensesAvailable(stopped)); // nothing moved: the license came back
        // A second worker claims nothing (the item is Stopped), and the first one's late write is refused.
        Assert.Null(await ClaimAsync(portal, "worker-2"));
        await using var scope = portal.Services.CreateAsyncScope();
        var late = await scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>().RunAsync(mailbox, null, (work, _) =>
        {
            work.Mailbox.Start(work.Licenses, scope.ServiceProvider.GetRequiredService<MailboxRules>(), "migration engine", work.Now);
            return Task.CompletedTask;
        }, default, claim: new Claim(mailbox, project, Guid.NewGuid(), clock.GetUtcNow()));
        Assert.Equal(MailboxOutcomeKind.Refused, late.Kind);
        Assert.Equal(MailboxOutcome.ClaimLostText, late.Reason);
    }

    [Fact]
    public async Task Stopping_WorkerDiedBeforeEndingThePass_SweptToStoppedWithWhatItRecorded()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        await using var portal = new PortalFactory(clock: clock);
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 1);
        var mailbox = (await SubmittedAsync(portal, project, 1, "m"))[0];
        var claim = (await ClaimAsync(portal, "worker"))!;
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.BeginPass(work.Now), claim);
        await RunAsync(portal, mailbox, (work, _) => work.Mailbox.RecordProgress(2, 2_000), claim);
        Assert.Equal("Stopping", AdminPages.StatusOf(await admin.ActAsync(project, "Stop", [mailbox]), mailbox));

        // Within the lease the worker may still end the pass itself: the sweep leaves it alone.
        Assert.Equal(0, await SweepAsync(portal));
        clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await SweepAsync(portal));

        await admin.LoginAsync();
        var dashboard = await admin.DashboardAsync(project);
        Assert.Equal("Stopped", AdminPages.StatusOf(dashboard, mailbox));
        Assert.Contains("Consumed", dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")!.TextContent);
        Assert.Equal(0, await SweepAsync(portal));
    }

    private static async Task<int> SweepAsync(PortalFactory portal)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<MigrationPortal.Web.Worker.OrphanedStopSweep>().RunAsync(default);
    }

    [Fact]
    public async Task Stop_WhileTheWorkerSavesProgressNonStop_AppliesEveryTime()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal, maxConcurrent: 50);
        await PortalSeed.LicensesAsync(portal, 20);

        for (var trial = 0; trial < 20; trial++)
        {
            var mailbox = (await SubmittedAsync(portal, project, 1, $"p{trial}-"))[0];
            var claim = (await ClaimAsync(portal, "worker"))!;
            Assert.Equal(mailbox, claim.MailboxId);
            await RunAsync(portal, mailbox, (work, _) => work.Mailbox.BeginPass(work.Now), claim);
            var dashboard = await admin.DashboardAsync(project);

            using var stop = new CancellationTokenSource();
            var saving = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                    await RunAsync(portal, mailbox, (work, _) => work.Mailbox.RecordProgress(1, 100), claim);
            });
            await Task.Delay(20);
            var (_, page) = await admin.SubmitOnAsync(dashboard, "Stop", [mailbox]);
            await stop.CancelAsync();
            await saving;

            Assert.Contains("Stop: applied to 1 mailbox.", AdminPages.Report(page));
            Assert.Equal("Stopping", AdminPages.StatusOf(await admin.DashboardAsync(project), mailbox));
            await RunAsync(portal, mailbox, (work, _) => work.Mailbox.Stop(work.Licenses, "migration engine", work.Now), claim);
            await WithStoreAsync(portal, store => store.ReleaseAsync(claim, default));
        }
    }
}
