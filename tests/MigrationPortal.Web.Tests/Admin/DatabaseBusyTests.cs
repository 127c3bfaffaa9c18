using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>Another writer (a backup, a second process, a stuck tool) holds the SQLite file's write lock.</summary>
public sealed partial class DatabaseBusyTests
{
    [SqliteFact("it holds the SQLite file's write lock from another connection")]
    public async Task Start_LockedPartWayThrough_SaysBusyWithinTheTimeoutAndExactlyWhatApplied()
    {
        // Four batches in the request (not queued for the background): the lock lands after the first, whatever the
        // machine's speed (with two, an idle machine once applied the second before the lock was taken).
        const int count = 1_000;
        await using var portal = new PortalFactory(new Dictionary<string, string?>
        {
            ["Database:BusyTimeout"] = "00:00:01",
            ["BulkActions:BackgroundAbove"] = "2000",
        });
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, count);
        var ids = await PortalSeed.MailboxesAsync(portal, project, count);
        var dashboard = await admin.DashboardAsync(project);

        var starting = admin.SubmitOnAsync(dashboard, "Start", ids);
        await WaitUntilAsync(async () => await SubmittedAsync(portal, ids) >= 10);
        await using var locker = await LockAsync(portal);
        var locked = Stopwatch.StartNew();
        var (status, page) = await starting;
        var answeredAfter = locked.Elapsed;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(answeredAfter < TimeSpan.FromSeconds(8), $"Answered {answeredAfter.TotalSeconds:0.0} s after the lock (busy timeout 1 s).");
        var report = AdminPages.Report(page);
        var applied = int.Parse(AppliedCount().Match(report).Groups[1].Value);
        Assert.InRange(applied, 10, count - 1);
        Assert.Contains($"The database was busy (locked by another writer): nothing was changed. Try again in a moment. ({count - applied})", report);
        Assert.Contains("shown only here", report);
        await locker.DisposeAsync();

        // What the report says is what the database holds: the applied ones Submitted, the rest untouched.
        Assert.Equal(applied, await SubmittedAsync(portal, ids));
        Assert.Equal(count - applied, await portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => ids.Contains(m.Id) && m.Status == MailboxStatus.NotStarted)));
        // Pressing Start again once the lock is gone does the rest.
        var again = await admin.ActAsync(project, "Start", ids);
        Assert.Contains($"applied to {count - applied} mailboxes", AdminPages.Report(again));
    }

    [SqliteFact("it holds the SQLite file's write lock from another connection")]
    public async Task LoginPage_WhileManyWritersWaitForALockedDatabase_AnswersAtOnce()
    {
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Database:BusyTimeout"] = "00:00:05" });
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 60);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 60);
        var dashboard = await admin.DashboardAsync(project);
        var visitor = portal.CreateClient();

        await using var locker = await LockAsync(portal);
        // Sixty Starts wait for the lock at once, each on its own thread-pool thread as browsers' requests are
        // (without the write gate each of them blocks its thread inside SQLite, and the login page queued 10 s behind them).
        var writers = ids.Select(id => AdminPages.Open(portal, admin.Client.Http)).Select((a, i) => Task.Run(() => a.SubmitOnAsync(dashboard, "Start", [ids[i]]))).ToList();
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        var login = await visitor.GetAsync("/Admin/Account/Login");
        var took = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.True(took < TimeSpan.FromSeconds(2.5), $"The login page took {took.TotalSeconds:0.0} s behind the waiting writers.");
        Assert.DoesNotContain(writers, w => w.IsCompleted && w.Result.Status != HttpStatusCode.OK);
        await locker.DisposeAsync();
        foreach (var writer in writers)
            Assert.Equal(HttpStatusCode.OK, (await writer).Status);
    }

    /// <summary>A second connection that takes the write lock and keeps it until disposed.</summary>
    private static async Task<SqliteConnection> LockAsync(PortalFactory portal)
    {
        var connection = new SqliteConnection($"Data Source={portal.DatabasePath};Pooling=False;Default Timeout=60");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 60000; BEGIN IMMEDIATE;";
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    private static Task<int> SubmittedAsync(PortalFactory portal, IReadOnlyList<int> ids) =>
        portal.WithDbAsync(db => db.Mailboxes.CountAsync(m => ids.Contains(m.Id) && m.Status == MailboxStatus.Submitted));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("The action never got going.");
            await Task.Delay(5);
        }
    }

    [GeneratedRegex(@"applied to (\d+) mailbox")]
    private static partial Regex AppliedCount();
}
