namespace MigrationPortal.Web.Worker;

/// <summary>
/// Tells every pass running in this process to look for an admin's Stop now instead of at its next heartbeat: raised
/// in this process by Stop itself, and on PostgreSQL also by <see cref="MigrationWakeListener"/> when Stop was pressed
/// on another instance. Each pass then renews its claim at once and learns whether it is its own mailbox that was
/// stopped. Unlike <see cref="WakeSignal"/> (one waiter, the worker's loop) every waiting pass hears each pulse.
/// </summary>
public sealed class PassStopSignal
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Completes at the next <see cref="Pulse"/>. Taken before a check, so a pulse during the check is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
