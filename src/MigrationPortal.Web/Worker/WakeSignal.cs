namespace MigrationPortal.Web.Worker;

/// <summary>
/// Wakes a polling background service at once when a request has queued work for it. Notifications coalesce
/// (the count never exceeds one), and the service still polls, so a lost wake-up only costs one interval.
/// </summary>
public abstract class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { }
    }

    /// <returns>True when woken, false when the interval passed.</returns>
    public Task<bool> WaitAsync(TimeSpan interval, CancellationToken ct) => _signal.WaitAsync(interval, ct);
}

/// <summary>Wakes the credential checks when Verify Credentials queued a selection.</summary>
public sealed class CredentialCheckSignal : WakeSignal;
