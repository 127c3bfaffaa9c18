using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MigrationPortal.Data;
using MigrationPortal.Fixtures.Postgres;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// The real portal on a real SQLite file of its own (or, with <c>PORTAL_TEST_DATABASE=Postgres</c>, a database of its
/// own on the test process's private PostgreSQL), with the configured first admin, and every log line kept so tests
/// can check that secrets never reach the logs. A test that gives its own <c>ConnectionStrings:Portal</c> chose its
/// database: SQLite, unless it gives <c>Database:Provider</c> too (see <see cref="SharedPostgresDatabase"/>).
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@example.org";
    public const string AdminPassword = "Test-Admin-Passw0rd!";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "migrationportal-tests", Guid.NewGuid().ToString("N"));
    private readonly IReadOnlyDictionary<string, string?> _settings;

    /// <param name="settings">Configuration on top of the test defaults, e.g. an SMTP server or a clock.</param>
    /// <param name="clock">Replaces the portal's clock, for expiry and leases.</param>
    public PortalFactory(IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        _settings = settings ?? new Dictionary<string, string?>();
        _clock = clock;
        Directory.CreateDirectory(_dir);
    }

    private readonly TimeProvider? _clock;
    private (PostgresServer Server, string Database)? _postgres;

    /// <summary>The provider this portal runs on: the test's choice when it chose a database, else Postgres when the run asked for it.</summary>
    public DatabaseProvider Provider => ChoseDatabase
        ? string.Equals(_settings.GetValueOrDefault("Database:Provider"), "Postgres", StringComparison.OrdinalIgnoreCase) ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite
        : TestDatabase.IsPostgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;

    private bool ChoseDatabase => _settings.ContainsKey("ConnectionStrings:Portal");

    /// <summary>A folder of this portal's own, removed with it.</summary>
    public string WorkDirectory => _dir;

    public string DatabasePath => Path.Combine(_dir, "portal.db");
    public string PickupDirectory => Path.Combine(_dir, "mail");
    public ConcurrentQueue<string> LogLines { get; } = new();

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepositoryRoot);
        builder.UseEnvironment("Production");
        if (Provider == DatabaseProvider.Postgres && !ChoseDatabase)
        {
            // Blocking here: the host builder is synchronous. The fixture's awaits do not need this thread back.
            var server = PostgresServer.SharedAsync().GetAwaiter().GetResult();
            _postgres = (server, _postgres?.Database ?? server.CreateDatabaseAsync().GetAwaiter().GetResult());
            builder.UseSetting("ConnectionStrings:Portal", server.ConnectionString(_postgres.Value.Database));
            builder.UseSetting("Database:Provider", "Postgres");
        }
        else
        {
            // A test that chose its database overrides both with its own settings, below.
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={DatabasePath}");
            builder.UseSetting("Database:Provider", "Sqlite");
        }
        builder.UseSetting("Admin:Email", AdminEmail);
        builder.UseSetting("Admin:Password", AdminPassword);
        builder.UseSetting("Smtp:Host", "");
        builder.UseSetting("Smtp:PickupDirectory", PickupDirectory);
        builder.UseSetting("Portal:PublicBaseUrl", "http://portal.test");
        // Most tests look at what an action did to a Submitted mailbox; the worker's own tests switch it on.
        builder.UseSetting("Migration:Enabled", "false");
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        if (_clock is not null)
            builder.ConfigureTestServices(services => services.AddSingleton(_clock));
        // The in-memory test server has no connection, so no client address: these clients are on this machine.
        builder.ConfigureServices(services => services.AddTransient<IStartupFilter, LoopbackClientAddress>());
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddProvider(new CapturingLoggerProvider(LogLines));
        });
    }

    /// <summary>
    /// What the database holds as stored, to search for secrets in clear: on SQLite its files (the database and its
    /// write-ahead log) as they are on disk now; on PostgreSQL a pg_dump of its database.
    /// </summary>
    public async Task<IReadOnlyList<(string Name, byte[] Bytes)>> DatabaseContentsAsync()
    {
        if (_postgres is { } postgres)
            return [("pg_dump " + postgres.Database, await postgres.Server.DumpAsync(postgres.Database))];
        var files = new List<(string, byte[])>();
        // The instance lock beside the database holds nothing, and no other process may open it while the portal runs.
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(DatabasePath)!, "portal.db*").Where(f => !f.EndsWith(".instance-lock", StringComparison.Ordinal)))
        {
            try
            {
                files.Add((Path.GetFileName(file), await File.ReadAllBytesAsync(file)));
            }
            catch (FileNotFoundException) when (!file.EndsWith("portal.db", StringComparison.Ordinal))
            {
                // SQLite removes the -wal and -shm files when its last connection closes: one listed a moment ago may be
                // gone, and what it held is then in the database file, which is read.
            }
        }
        return files;
    }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_postgres is { } postgres) await postgres.Server.DropDatabaseAsync(postgres.Database);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MigrationPortal.sln")))
                return dir.FullName;
        throw new InvalidOperationException("MigrationPortal.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, lines);
        public void Dispose() { }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>Gives every test request the loopback address a real local client would have (the audit log records it).</summary>
internal sealed class LoopbackClientAddress : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress ??= System.Net.IPAddress.Loopback;
            return nextMiddleware(context);
        });
        next(app);
    };
}
