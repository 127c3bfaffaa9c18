namespace MigrationPortal.Web.Worker;

/// <summary>The <c>Outbox</c> configuration section: how the background sender delivers queued email.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>How often the sender looks for due messages when nothing wakes it (a Start wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after the first failed attempt; it doubles with every further failure.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts, the first included, before a message that keeps failing is given up.</summary>
    public int MaxAttempts { get; set; } = 20;

    /// <summary>How long a claimed message is reserved for the instance sending it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    public int BatchSize { get; set; } = 50;

    /// <summary>
    /// A send still running after half the lease is abandoned (and retried later), so the lease cannot run out while a
    /// message is on the wire and let another instance send it a second time.
    /// </summary>
    public TimeSpan SendTimeout => Lease / 2;

    /// <summary>The wait after <paramref name="attempts"/> failed attempts: RetryBaseDelay × 2^(attempts − 1), at most MaxRetryDelay.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var doublings = Math.Clamp(attempts - 1, 0, 62);
        var ticks = RetryBaseDelay.Ticks * Math.Pow(2, doublings);
        return ticks >= MaxRetryDelay.Ticks ? MaxRetryDelay : TimeSpan.FromTicks((long)ticks);
    }
}
