using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Web.Tests.Infrastructure;
using static MigrationPortal.Web.Tests.Worker.ClaimSteps;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>
/// Two portal instances on one PostgreSQL database, each with its own services and connections, claiming from the
/// same queue as two servers of one deployment would.
/// </summary>
public sealed class SharedDatabaseClaimTests
{
    private const string Why = "several portal instances share one PostgreSQL database; a SQLite file has one process";

    [PostgresFact(Why)]
    public async Task TryClaimNext_TwoInstancesWithEightClaimersAtOnce_EachMailboxOnceAndNeverMoreThanTheCapRunning()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings());
        var project = await PortalSeed.ProjectAsync(first, "Capped", maxConcurrent: 3); // started (and migrated the database) first
        await using var second = new PortalFactory(database.Settings());
        await PortalSeed.LicensesAsync(second, 20);
        var submitted = await SubmittedAsync(second, project, 20, "m");
        PortalFactory[] instances = [first, second];

        var claimed = new ConcurrentQueue<int>();
        var running = 0;
        var mostRunning = 0;
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var claimers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var portal = instances[i % 2];
            while (claimed.Count < submitted.Count && !done.IsCancellationRequested)
            {
                if (await ClaimAsync(portal, $"instance-{i % 2}-claimer-{i}") is not { } claim)
                {
                    await Task.Delay(5);
                    continue;
                }
                // Counted from after the claim committed until before it is released: never more than the database held.
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostRunning, now);
                claimed.Enqueue(claim.MailboxId);
                await Task.Delay(Random.Shared.Next(30, 80)); // the pass
                await RunAsync(portal, claim.MailboxId, (work, _) => work.Mailbox.Stop(work.Licenses, "migration engine", work.Now), claim);
                Interlocked.Decrement(ref running);
                await WithStoreAsync(portal, store => store.ReleaseAsync(claim, default));
            }
        })).ToList();
        // The rows themselves, as a third party sees them, all along.
        var mostRows = 0;
        var all = Task.WhenAll(claimers);
        while (!all.IsCompleted)
        {
            mostRows = Math.Max(mostRows, await first.WithDbAsync(db => db.MigrationClaims.CountAsync(c => c.ProjectId == project)));
            await Task.Delay(2);
        }
        await all;

        Assert.False(done.IsCancellationRequested, $"Only {claimed.Count} of {submitted.Count} mailboxes were claimed in 90 s.");
        Assert.Equal(submitted.Order(), claimed.Order()); // every mailbox, each once
        Assert.InRange(mostRows, 1, 3);
        Assert.Equal(3, mostRunning); // the cap was reached, and never passed
    }

    [PostgresFact(Why)]
    public async Task TryClaimNext_InstanceDied_TheOtherTakesOverItsSlotsAfterTheLeaseAndTheDeadOnesAreFencedOut()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings(), clock);
        var project = await PortalSeed.ProjectAsync(first, "Capped", maxConcurrent: 2);
        await using var second = new PortalFactory(database.Settings(), clock);
        await PortalSeed.LicensesAsync(first, 4);
        var submitted = await SubmittedAsync(first, project, 4, "m");
        var dead = new[] { (await ClaimAsync(first, "first"))!, (await ClaimAsync(first, "first"))! };
        Assert.Null(await ClaimAsync(second, "second"));

        clock.Advance(Lease);
        var taken = new[] { await ClaimAsync(second, "second"), await ClaimAsync(second, "second") };

        // The dead instance's mailboxes are resumed here (they come first in the queue), in the slots it held.
        Assert.Equal(dead.Select(c => c.MailboxId).Order(), taken.Select(c => c!.MailboxId).Order());
        Assert.Null(await ClaimAsync(second, "second"));
        foreach (var claim in dead)
            Assert.Equal(ClaimStanding.Lost, await WithStoreAsync(first, store => store.RenewAsync(claim, Lease, default)));
        Assert.Equal(2, await second.WithDbAsync(db => db.MigrationClaims.CountAsync(c => c.ProjectId == project)));
        Assert.Null(await ClaimAsync(first, "first"));
        Assert.All(taken, c => Assert.Contains(c!.MailboxId, submitted));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}
