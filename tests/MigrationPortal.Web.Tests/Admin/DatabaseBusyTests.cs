using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>Another writer (a backup, a second process, a stuck tool) holds the SQLite file's write lock.</summary>
public sealed partial class DatabaseBusyTests
{
    [SqliteFact("it holds the SQLite file's write lock from another connection")]
    public async Task Start_LockedPartWayThrough_SaysBusyWithinTheTimeoutAndExactlyWhatApplied()
    {
        // Several batches in the request (not queued for the background). The Start is held just after its first batch
        // commits, the lock is taken, and only then does it go on: the lock lands part-way through on any machine. (It
        // used to be taken once the test saw 10 mailboxes Submitted, racing the Start: a fast moment applied all 1,000 first.)
        const int count = 1_000;
        var pause = new PauseAfterMailboxCommit();
        await using var portal = new PausingPortalFactory(new Dictionary<string, string?>
        {
            ["Database:BusyTimeout"] = "00:00:01",
            ["BulkActions:BackgroundAbove"] = "2000",
        }, pause);
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, count);
        var ids = await PortalSeed.MailboxesAsync(portal, project, count);
        var dashboard = await admin.DashboardAsync(project);

        pause.Arm();
        var starting = admin.SubmitOnAsync(dashboard, "Start", ids);
        SqliteConnection locker;
        int submittedWhenLocked;
        try
        {
            await pause.Committed.WaitAsync(TimeSpan.FromSeconds(60));
            submittedWhenLocked = await SubmittedAsync(portal, ids);
            locker = await LockAsync(portal);
        }
        finally
        {
            pause.Resume();
        }
        await using var locking = locker;
        var locked = Stopwatch.StartNew();
        var (status, page) = await starting;
        var answeredAfter = locked.Elapsed;

        Assert.InRange(submittedWhenLocked, 1, count - 1);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(answeredAfter < TimeSpan.FromSeconds(8), $"Answered {answeredAfter.TotalSeconds:0.0} s after the lock (busy timeout 1 s).");
        var report = AdminPages.Report(page);
        var applied = int.Parse(AppliedCount().Match(report).Groups[1].Value);
        // Exactly what had been saved when the lock was taken: nothing of the rest got through, nothing saved is left out.
        Assert.Equal(submittedWhenLocked, applied);
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

    /// <summary>The portal, with <paramref name="pause"/> watching its database context's commands and transactions.</summary>
    private sealed class PausingPortalFactory(IReadOnlyDictionary<string, string?> settings, PauseAfterMailboxCommit pause) : PortalFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.ConfigureDbContext<PortalDbContext>(options => options.AddInterceptors(pause)));
        }
    }

    /// <summary>
    /// Once armed, holds the first transaction that changed mailboxes right after it commits (its SQLite lock let go),
    /// until <see cref="Resume"/>: the test does what it must at that point, and the writer goes on only after.
    /// </summary>
    private sealed class PauseAfterMailboxCommit : DbCommandInterceptor, IDbTransactionInterceptor
    {
        private readonly TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<DbTransaction, bool> _changedMailboxes = new();
        private int _armed;

        /// <summary>Completes when the armed pause holds a writer that has just committed a change to mailboxes.</summary>
        public Task Committed => _committed.Task;

        public void Arm() => Volatile.Write(ref _armed, 1);

        public void Resume() => _resume.TrySetResult();

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Note(command);
            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Note(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (!_changedMailboxes.TryRemove(transaction, out _) || Interlocked.Exchange(ref _armed, 0) == 0) return;
            _committed.TrySetResult();
            // Bounded, so a test that failed before resuming does not leave the request hanging.
            await _resume.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }

        public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            _changedMailboxes.TryRemove(transaction, out _);
            return Task.CompletedTask;
        }

        private void Note(DbCommand command)
        {
            if (Volatile.Read(ref _armed) == 1 && command.Transaction is { } transaction
                && command.CommandText.Contains("UPDATE \"Mailboxes\"", StringComparison.Ordinal))
                _changedMailboxes[transaction] = true;
        }
    }

    [GeneratedRegex(@"applied to (\d+) mailbox")]
    private static partial Regex AppliedCount();
}
