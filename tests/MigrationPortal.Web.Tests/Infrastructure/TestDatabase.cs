namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// The database the portal tests run on: SQLite (the embedded default), or PostgreSQL when the run sets
/// <c>PORTAL_TEST_DATABASE=Postgres</c> (test.sh runs this assembly once with each).
/// </summary>
public static class TestDatabase
{
    public static bool IsPostgres { get; } =
        string.Equals(Environment.GetEnvironmentVariable("PORTAL_TEST_DATABASE"), "Postgres", StringComparison.OrdinalIgnoreCase);
}
