using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace MigrationPortal.Data;

/// <summary>
/// WAL lets readers (page requests) proceed while a writer (the worker) commits, and busy_timeout makes
/// a writer wait for the lock instead of failing with "database is locked".
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, SqlitePragmas> ByTimeout = new();

    private readonly string _pragmas;

    private SqlitePragmas(TimeSpan busyTimeout) =>
        _pragmas = $"PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {(int)busyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

    /// <summary>One instance per timeout: EF Core builds a service provider per distinct set of interceptors.</summary>
    public static SqlitePragmas For(TimeSpan busyTimeout) => ByTimeout.GetOrAdd(busyTimeout, t => new SqlitePragmas(t));

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
