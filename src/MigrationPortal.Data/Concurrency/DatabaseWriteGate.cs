namespace MigrationPortal.Data.Concurrency;

/// <summary>
/// SQLite takes one writer at a time, and Microsoft.Data.Sqlite waits for a busy database by blocking its thread
/// (sqlite's busy handler sleeps; the async API runs synchronously). Twenty requests waiting that way starve the
/// thread pool of a 2-core server, and every page, the login page included, queues behind them. So this process
/// lets one write transaction at a time reach SQLite and makes the others wait here, asynchronously, for at most
/// the busy timeout. On PostgreSQL writers do not exclude each other and the gate lets everyone through.
/// </summary>
public sealed class DatabaseWriteGate
{
    private readonly SemaphoreSlim? _gate;

    public DatabaseWriteGate(DatabaseProvider provider, TimeSpan busyTimeout)
    {
        BusyTimeout = busyTimeout;
        _gate = provider == DatabaseProvider.Sqlite ? new SemaphoreSlim(1, 1) : null;
    }

    public TimeSpan BusyTimeout { get; }

    /// <exception cref="DatabaseBusyException">Another write held the gate for longer than the busy timeout.</exception>
    public async ValueTask<IDisposable> EnterAsync(CancellationToken ct)
    {
        if (_gate is null) return Released.Instance;
        if (!await _gate.WaitAsync(BusyTimeout, ct))
            throw new DatabaseBusyException(BusyTimeout);
        return new Releaser(_gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    private sealed class Released : IDisposable
    {
        public static readonly Released Instance = new();
        public void Dispose() { }
    }
}
