using Microsoft.Extensions.Options;
using MigrationPortal.Data;
using MigrationPortal.Data.MigrationClaims;
using Npgsql;
using Polly;
using Polly.Retry;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// On PostgreSQL, wakes this instance's migration worker when any instance submits a mailbox or frees a slot, and its
/// running passes when any instance's admin pressed Stop (<see cref="MigrationWakeUps"/>): one dedicated connection
/// LISTENs on both channels and each notification releases the local <see cref="MigrationSignal"/> or
/// <see cref="PassStopSignal"/>, so a mailbox submitted on another instance is claimed here within moments instead of
/// at the next poll, and a Stop pressed there ends the pass here at its next message instead of its next heartbeat. A dropped connection is opened again with backoff; what was notified while it was
/// down is not replayed (PostgreSQL does not keep notifications), so the worker is woken once it listens again, and
/// the poll stays the fallback. On SQLite (one instance) and with the worker switched off, it does nothing.
/// </summary>
public sealed partial class MigrationWakeListener(
    IConfiguration configuration,
    MigrationSignal signal,
    PassStopSignal stops,
    TimeProvider time,
    IOptions<MigrationOptions> options,
    ILogger<MigrationWakeListener> logger) : BackgroundService
{
    public const string ApplicationName = "MigrationPortal wake-up listener";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Read now, not at registration: a test host's settings are applied by then, as for the DbContext.
        if (!options.Value.Enabled || PortalDatabase.ReadProvider(configuration) != DatabaseProvider.Postgres) return;
        var connectionString = ListenerConnectionString(configuration.GetConnectionString("Portal"));
        var reconnect = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                OnRetry = args =>
                {
                    LogConnectFailed(logger, args.Outcome.Exception, args.RetryDelay);
                    return default;
                },
            })
            .Build();

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Each drop starts a fresh backoff: the first attempt is at once, the next ones wait longer and longer.
                var connection = await reconnect.ExecuteAsync(token => ListenAsync(connectionString, token), stoppingToken);
                try
                {
                    while (true)
                        await connection.WaitAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogDropped(logger, e);
                }
                finally
                {
                    await connection.DisposeAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async ValueTask<NpgsqlConnection> ListenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Notification += (_, e) =>
            {
                LogWoken(logger, e.Channel);
                if (e.Channel == MigrationWakeUps.StopChannel) stops.Pulse();
                else signal.Notify();
            };
            await connection.OpenAsync(ct);
            await using (var listen = new NpgsqlCommand($"LISTEN {MigrationWakeUps.Channel}; LISTEN {MigrationWakeUps.StopChannel}", connection))
                await listen.ExecuteNonQueryAsync(ct);
            LogListening(logger, MigrationWakeUps.Channel, MigrationWakeUps.StopChannel);
            // Whatever was notified while this instance was not listening is looked for now.
            signal.Notify();
            stops.Pulse();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The portal's connection string, as a connection of its own: outside the pool (returning a connection to the pool
    /// resets it, LISTEN included), and with a keepalive, so a connection that died without a word (a server or network
    /// gone) is noticed while it waits, within the keepalive, and opened again.
    /// </summary>
    internal static string ListenerConnectionString(string? portal) =>
        new NpgsqlConnectionStringBuilder(portal)
        {
            Pooling = false,
            KeepAlive = 15,
            ApplicationName = ApplicationName,
        }.ConnectionString;

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for migration wake-ups on PostgreSQL channels {Channel} and {StopChannel}")]
    private static partial void LogListening(ILogger logger, string channel, string stopChannel);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Migration wake-up received on {Channel}")]
    private static partial void LogWoken(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The wake-up listener's connection dropped; opening it again (meanwhile the worker polls)")]
    private static partial void LogDropped(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The wake-up listener could not connect; trying again in {Delay} (meanwhile the worker polls)")]
    private static partial void LogConnectFailed(ILogger logger, Exception? e, TimeSpan delay);
}
