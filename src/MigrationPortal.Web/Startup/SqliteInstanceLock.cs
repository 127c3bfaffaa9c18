using Microsoft.Data.Sqlite;

namespace MigrationPortal.Web.Startup;

/// <summary>
/// One portal process per SQLite file. The worker's claims, the outbox's and the write gate that keeps writers from
/// waiting on each other all count on there being one writer process: a second one on the same file would take the
/// same mailboxes and send the same emails. So the first process holds an exclusive lock on a file beside the
/// database for as long as it runs, and a second one is refused at start-up, saying why.
/// </summary>
/// <remarks>
/// An OS file lock (.NET's FileShare.None is flock on Linux), not a row or a pid file: the kernel releases it when the
/// process ends however it ends (kill -9 included), so a crashed portal never locks its successor out.
/// </remarks>
public sealed class SqliteInstanceLock : IDisposable
{
    private readonly FileStream? _lock;

    public SqliteInstanceLock(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:")
            return;
        var database = System.IO.Path.GetFullPath(builder.DataSource);
        Path = database + ".instance-lock";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        try
        {
            _lock = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"Another MigrationPortal process is already running on the SQLite database {database} (it holds {Path}). "
                + "Run one portal process per SQLite file: stop the other one first. To run several instances, use PostgreSQL "
                + "(Database:Provider=Postgres; see \"Running several instances\" in the README).", e);
        }
    }

    /// <summary>The lock file, or null for an in-memory database.</summary>
    public string? Path { get; }

    public void Dispose() => _lock?.Dispose();
}
