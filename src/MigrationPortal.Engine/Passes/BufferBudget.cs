using System.Threading.RateLimiting;

namespace MigrationPortal.Engine.Passes;

/// <summary>
/// How many bytes of message bodies all the passes of one process may hold at once, between FETCH and APPEND. A pass
/// holds up to three batches (one being fetched, one queued, one being appended) of up to
/// <see cref="Imap.AppendWriter.MaxBytesPerCommand"/> each; twenty mailboxes of one organisation, migrating together
/// through their multi-megabyte attachments, would otherwise hold 20 × 3 × 8 MB. A batch waits for its bytes before
/// its bodies are fetched and gives them back once appended, so the memory stays bounded whatever the number of
/// mailboxes, and a pass that waits simply fetches later. The bytes are counted as KiB permits of a
/// <see cref="ConcurrencyLimiter"/>, whose acquire takes several permits at once and serves waiters in order.
/// </summary>
public sealed class BufferBudget : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly int _permits;

    public BufferBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, MinimumBytes);
        _permits = (int)Math.Min(int.MaxValue, bytes / 1024);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _permits,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>One batch of the largest size must fit, or it could never be fetched.</summary>
    public const long MinimumBytes = Imap.AppendWriter.MaxBytesPerCommand;

    public long Bytes => _permits * 1024L;

    /// <summary>Waits until <paramref name="bytes"/> may be held; dispose the result to give them back.</summary>
    public async ValueTask<IDisposable> AcquireAsync(long bytes, CancellationToken ct)
    {
        // A single message larger than the whole budget takes all of it: it is then the only body in memory.
        var permits = (int)Math.Clamp((bytes + 1023) / 1024, 1, _permits);
        var lease = await _limiter.AcquireAsync(permits, ct);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        throw new InvalidOperationException("The buffer budget refused a batch it should have queued.");
    }

    public void Dispose() => _limiter.Dispose();
}
