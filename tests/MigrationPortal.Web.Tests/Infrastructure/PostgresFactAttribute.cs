namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>A test of something only PostgreSQL has (several instances on one database, LISTEN/NOTIFY): skipped, saying why, on SQLite.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute(string why)
    {
        if (!TestDatabase.IsPostgres) Skip = "PostgreSQL only (PORTAL_TEST_DATABASE=Postgres): " + why;
    }
}
