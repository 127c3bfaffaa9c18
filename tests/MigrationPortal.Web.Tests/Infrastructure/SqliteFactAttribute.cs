namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>A test of something only SQLite has (its file, its locking): skipped, saying why, when the run is on PostgreSQL.</summary>
public sealed class SqliteFactAttribute : FactAttribute
{
    public SqliteFactAttribute(string why)
    {
        if (TestDatabase.IsPostgres) Skip = "SQLite only: " + why;
    }
}
