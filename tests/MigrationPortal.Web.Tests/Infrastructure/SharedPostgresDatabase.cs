using MigrationPortal.Fixtures.Postgres;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// One database on the test process's private PostgreSQL for several test portals, as the instances of one deployment
/// share theirs: give each <see cref="PortalFactory"/> its <see cref="Settings"/>. Start one portal before the next
/// (its start-up migrates the database). Dropped when disposed, after the portals.
/// </summary>
public sealed class SharedPostgresDatabase : IAsyncDisposable
{
    private readonly PostgresServer _server;

    private SharedPostgresDatabase(PostgresServer server, string name)
    {
        _server = server;
        Name = name;
    }

    public string Name { get; }

    public string ConnectionString => _server.ConnectionString(Name);

    public static async Task<SharedPostgresDatabase> CreateAsync()
    {
        var server = await PostgresServer.SharedAsync();
        return new SharedPostgresDatabase(server, await server.CreateDatabaseAsync("shared"));
    }

    /// <summary>This database, and <paramref name="more"/> settings on top.</summary>
    public Dictionary<string, string?> Settings(IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = ConnectionString,
            ["Database:Provider"] = "Postgres",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
            settings[key] = value;
        return settings;
    }

    public async ValueTask DisposeAsync() => await _server.DropDatabaseAsync(Name);
}
