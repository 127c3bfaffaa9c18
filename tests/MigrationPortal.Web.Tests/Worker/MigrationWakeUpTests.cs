using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Web.Tests.Infrastructure;
using MigrationPortal.Web.Worker;
using Npgsql;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>
/// An admin presses Start on one portal instance; the worker of another instance on the same PostgreSQL database
/// polls only every minute, so only the notification can make it begin the pass within seconds.
/// </summary>
public sealed class MigrationWakeUpTests
{
    private const string Why = "LISTEN/NOTIFY between instances on one PostgreSQL database";
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(3);

    [PostgresFact(Why)]
    public async Task Start_OnAnotherInstance_WorkerPollingEveryMinuteBeginsThePassWithinSeconds()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var web = new PortalFactory(database.Settings());
        var (admin, project, mailbox) = await SeedAsync(web);
        await using var worker = new PortalFactory(database.Settings(WorkerPollingEveryMinute));
        _ = worker.Services; // started
        await WaitUntilAsync(() => Listening(worker) == 1);
        await Task.Delay(TimeSpan.FromSeconds(1)); // the worker's first poll, at its start, is over and found nothing

        var began = await StartAndWaitForThePassAsync(web, admin, project, mailbox);

        Assert.True(began < Soon, $"The pass began {began.TotalSeconds:0.0} s after Start.");
        Assert.Contains(worker.LogLines, l => l.Contains("Migration wake-up received"));
    }

    [PostgresFact(Why)]
    public async Task ListenerConnectionKilled_ListensAgainAndTheNextStartStillWakesTheWorkerWithinSeconds()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var web = new PortalFactory(database.Settings());
        var (admin, project, mailbox) = await SeedAsync(web);
        await using var worker = new PortalFactory(database.Settings(WorkerPollingEveryMinute));
        _ = worker.Services; // started
        await WaitUntilAsync(() => Listening(worker) == 1);

        // As a server restart or a network cut would: PostgreSQL ends the listener's session.
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", connection);
            kill.Parameters.AddWithValue("name", MigrationWakeListener.ApplicationName);
            Assert.Equal(1L, await kill.ExecuteScalarAsync());
        }
        await WaitUntilAsync(() => Listening(worker) == 2);
        Assert.Contains(worker.LogLines, l => l.Contains("The wake-up listener's connection dropped"));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the round the reconnection woke is over and found nothing

        var began = await StartAndWaitForThePassAsync(web, admin, project, mailbox);

        Assert.True(began < Soon, $"The pass began {began.TotalSeconds:0.0} s after Start.");
    }

    private static readonly Dictionary<string, string?> WorkerPollingEveryMinute = new()
    {
        ["Migration:Enabled"] = "true",
        ["Migration:PollInterval"] = "00:01:00",
        ["Migration:Heartbeat"] = "00:00:00.200",
        ["Migration:Retries"] = "0",
        ["Logging:LogLevel:MigrationPortal.Web.Worker.MigrationWakeListener"] = "Debug", // each wake-up it hears
    };

    private static int Listening(PortalFactory worker) => worker.LogLines.Count(l => l.Contains("Listening for migration wake-ups"));

    /// <summary>A mailbox with known credentials whose source server refuses connections: its pass begins, then fails at once.</summary>
    private static async Task<(AdminPages Admin, int Project, int Mailbox)> SeedAsync(PortalFactory web)
    {
        var admin = AdminPages.Open(web);
        await admin.LoginAsync();
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var project = await PortalSeed.ProjectAsync(web, sourceHost: "127.0.0.1", sourcePort: port, destinationHost: "127.0.0.1", destinationPort: port,
            security: TlsMode.None);
        await PortalSeed.LicensesAsync(web, 1);
        var mailbox = (await PortalSeed.MailboxesAsync(web, project, 1))[0];
        return (admin, project, mailbox);
    }

    /// <summary>Presses Start on the admin's instance; how long until a worker began the pass, by the portal's clock.</summary>
    private static async Task<TimeSpan> StartAndWaitForThePassAsync(PortalFactory web, AdminPages admin, int project, int mailbox)
    {
        var pressed = TimeProvider.System.GetUtcNow();
        await admin.ActAsync(project, "Start", [mailbox]);
        DateTimeOffset? began = null;
        await WaitUntilAsync(async () => (began = await web.WithDbAsync(db => db.MigrationPasses.AsNoTracking()
            .Where(p => p.MailboxId == mailbox).Select(p => (DateTimeOffset?)p.StartedAt).SingleOrDefaultAsync())) is not null, TimeSpan.FromSeconds(15));
        return began!.Value - pressed;
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()), TimeSpan.FromSeconds(30));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var waited = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            if (TimeProvider.System.GetElapsedTime(waited) > timeout) throw new TimeoutException($"Still not so after {timeout.TotalSeconds} s.");
            await Task.Delay(20);
        }
    }
}
