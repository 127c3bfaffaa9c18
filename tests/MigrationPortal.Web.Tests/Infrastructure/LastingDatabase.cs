namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// A database that outlives one portal, on the run's provider: a SQLite file of its own, or a database on the tests'
/// private PostgreSQL. Give each <see cref="PortalFactory"/> its <see cref="Settings"/>, one portal after the other.
/// </summary>
public sealed class LastingDatabase : IAsyncDisposable
{
    private readonly SharedPostgresDatabase? _postgres;
    private readonly string? _dir;

    private LastingDatabase(SharedPostgresDatabase? postgres, string? dir)
    {
        _postgres = postgres;
        _dir = dir;
    }

    public static async Task<LastingDatabase> CreateAsync() => TestDatabase.IsPostgres
        ? new LastingDatabase(await SharedPostgresDatabase.CreateAsync(), null)
        : new LastingDatabase(null, Directory.CreateTempSubdirectory("migrationportal-lasting-").FullName);

    public Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? more = null)
    {
        if (_postgres is not null) return _postgres.Settings(more);
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(_dir!, "portal.db")}",
            ["Database:Provider"] = "Sqlite",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
            settings[key] = value;
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        if (_dir is null) return;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
