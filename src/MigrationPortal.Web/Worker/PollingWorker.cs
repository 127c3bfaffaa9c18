namespace MigrationPortal.Web.Worker;

/// <summary>
/// The loop every background worker here shares: work through what is due, and when nothing more is, wait for the
/// signal (a request queued work) or the poll interval. A failed round is logged and the next one tried; work it had
/// claimed keeps its lease and is picked up again when the lease ends.
/// </summary>
public abstract class PollingWorker(WakeSignal signal, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan PollInterval { get; }

    /// <summary>A worker switched off by configuration does not poll at all.</summary>
    protected virtual bool IsEnabled => true;

    /// <returns>True when more may be due right away (a full batch was worked through).</returns>
    protected abstract Task<bool> RunOnceAsync(CancellationToken ct);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (IsEnabled && !stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                more = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be busy or away for a moment.
                PollingWorkerLog.RoundFailed(logger, e, GetType().Name);
            }

            // A request that queued work during the round has released the signal already, so this returns at once.
            if (!more)
                await signal.WaitAsync(PollInterval, stoppingToken);
        }
    }

    /// <summary>Whole milliseconds, so a lease still compares equal after any provider rounds it on the way in.</summary>
    protected static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) =>
        new(value.Ticks - value.Ticks % TimeSpan.TicksPerMillisecond, value.Offset);
}

internal static partial class PollingWorkerLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "{Worker}: a round failed; trying again after the poll interval")]
    public static partial void RoundFailed(ILogger logger, Exception exception, string worker);
}
