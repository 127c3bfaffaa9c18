namespace MigrationPortal.Engine.Passes;

/// <summary>
/// Paces a pass to a rate (messages or bytes a second), shared by all its lanes: what a project sets so a provider is
/// not pushed into throttling in the first place (imapsync's --maxmessagespersecond and --maxbytespersecond).
/// <para>
/// A generic cell rate algorithm on <see cref="TimeProvider"/>: each take reserves its share of the timeline and waits
/// until its start, with one second's worth allowed at once (as a token bucket that starts full). Not
/// System.Threading.RateLimiting's TokenBucketRateLimiter: that one replenishes on its own timer and Stopwatch, which
/// a test's FakeTimeProvider cannot drive, takes at most its bucket size at once (a message larger than one second's
/// bytes would need splitting), and its whole tokens per period cannot say 25 a second at a smooth period.
/// </para>
/// </summary>
public sealed class TransferRate
{
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly long _start;
    private readonly Lock _lock = new();

    /// <summary>Seconds since <see cref="_start"/> at which the units reserved so far are paid for.</summary>
    private double _paidUntil;

    private long _waitedTicks;

    public TransferRate(double perSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        if (double.IsNaN(perSecond) || double.IsInfinity(perSecond)) throw new ArgumentOutOfRangeException(nameof(perSecond));
        _perSecond = perSecond;
        _time = time;
        _start = time.GetTimestamp();
    }

    public double PerSecond => _perSecond;

    /// <summary>How long takes have waited in all: what the pass reports as slowed down by its own limit.</summary>
    public TimeSpan Waited => TimeSpan.FromTicks(Interlocked.Read(ref _waitedTicks));

    /// <summary>Waits until <paramref name="units"/> more may go without exceeding the rate; any number goes, a large one after a longer wait.</summary>
    public async ValueTask TakeAsync(long units, CancellationToken ct)
    {
        if (units <= 0) return;
        double wait;
        lock (_lock)
        {
            var now = _time.GetElapsedTime(_start).TotalSeconds;
            // Idle time refills the allowance, up to one second's worth (the burst).
            _paidUntil = Math.Max(_paidUntil, now) + units / _perSecond;
            wait = _paidUntil - 1.0 - now;
        }
        if (wait <= 0) return;
        var delay = TimeSpan.FromSeconds(wait);
        Interlocked.Add(ref _waitedTicks, delay.Ticks);
        await Task.Delay(delay, _time, ct);
    }
}
