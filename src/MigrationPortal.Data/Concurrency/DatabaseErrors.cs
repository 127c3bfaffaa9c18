using Microsoft.Data.Sqlite;
using Npgsql;

namespace MigrationPortal.Data.Concurrency;

/// <summary>What a database exception means for the item being changed, whichever provider raised it.</summary>
public static class DatabaseErrors
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteConstraintForeignKey = 787;

    /// <summary>Another writer held the database longer than the busy timeout; nothing of this change was saved.</summary>
    public static bool IsBusy(Exception e) => Chain(e).Any(x => x switch
    {
        DatabaseBusyException => true,
        SqliteException s => s.SqliteErrorCode is SqliteBusy or SqliteLocked,
        PostgresException p => p.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.QueryCanceled,
        // The command timeout passed while the statement waited (for a lock another writer holds): Npgsql's own timeout.
        NpgsqlException { InnerException: TimeoutException } => true,
        _ => false,
    });

    /// <summary>A row this change refers to (the mailbox, most often) was deleted meanwhile.</summary>
    public static bool IsForeignKeyViolation(Exception e) => Chain(e).Any(x => x switch
    {
        SqliteException s => s.SqliteExtendedErrorCode == SqliteConstraintForeignKey,
        PostgresException p => p.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        _ => false,
    });

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            yield return x;
    }
}

/// <summary>The database stayed locked by another writer for longer than <c>Database:BusyTimeout</c>.</summary>
public sealed class DatabaseBusyException(TimeSpan waited)
    : Exception($"The database stayed busy for {waited.TotalSeconds:0.#} s.");
