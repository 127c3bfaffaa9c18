using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Chooses the database from configuration: <c>Database:Provider</c> (Sqlite by default) and <c>ConnectionStrings:Portal</c>.</summary>
public static class PortalDatabase
{
    public const string SqliteMigrationsAssembly = "MigrationPortal.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "MigrationPortal.Migrations.Postgres";
    public const string DefaultSqliteConnection = "Data Source=data/portal.db";

    public static IServiceCollection AddPortalDatabase(this IServiceCollection services, IConfiguration configuration, string contentRootPath)
    {
        // Read when the first context is made, not now, so settings a test host adds later still count.
        services.AddDbContext<PortalDbContext>(options =>
            Configure(options, ReadProvider(configuration), configuration.GetConnectionString("Portal"), contentRootPath, ReadBusyTimeout(configuration)));
        services.AddSingleton(_ => new DatabaseWriteGate(ReadProvider(configuration), ReadBusyTimeout(configuration)));
        services.AddScoped<MailboxUnitOfWork>();
        services.AddScoped<MigrationClaimStore>();
        services.AddScoped<Checkpoints.PassProgressWriter>();
        services.AddScoped<Outbox.OutboxStore>();
        return services;
    }

    public static DatabaseProvider ReadProvider(IConfiguration configuration)
    {
        var value = configuration["Database:Provider"];
        if (string.IsNullOrWhiteSpace(value)) return DatabaseProvider.Sqlite;
        return Enum.TryParse<DatabaseProvider>(value, ignoreCase: true, out var provider)
            ? provider
            : throw new InvalidOperationException($"Database:Provider '{value}' is not supported; use Sqlite or Postgres.");
    }

    /// <summary>
    /// How long a write waits for another writer to let go of the database before the action says it is busy
    /// (<c>Database:BusyTimeout</c>, default 10 s).
    /// </summary>
    public static TimeSpan ReadBusyTimeout(IConfiguration configuration)
    {
        var value = configuration["Database:BusyTimeout"];
        if (string.IsNullOrWhiteSpace(value)) return DefaultBusyTimeout;
        return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var timeout)
            && timeout >= TimeSpan.FromMilliseconds(100) && timeout <= TimeSpan.FromMinutes(5)
            ? timeout
            : throw new InvalidOperationException($"Database:BusyTimeout '{value}' is not a time between 00:00:00.1 and 00:05:00.");
    }

    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(10);

    public static void Configure(DbContextOptionsBuilder options, DatabaseProvider provider, string? connectionString, string contentRootPath,
        TimeSpan? busyTimeout = null)
    {
        var timeout = busyTimeout ?? DefaultBusyTimeout;
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                options.UseSqlite(SqliteConnectionString(connectionString, contentRootPath, timeout),
                        sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
                    .AddInterceptors(SqlitePragmas.For(timeout));
                break;
            case DatabaseProvider.Postgres:
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException("ConnectionStrings:Portal is required when Database:Provider is Postgres.");
                options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
        }
    }

    /// <summary>A relative SQLite file is placed under the content root, and its folder is created.</summary>
    public static string SqliteConnectionString(string? connectionString, string contentRootPath, TimeSpan? busyTimeout = null)
    {
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqliteConnection : connectionString);
        if (builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            var path = Path.GetFullPath(Path.Combine(contentRootPath, builder.DataSource));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.DataSource = path;
        }
        // Microsoft.Data.Sqlite retries a busy database until the command timeout, on top of sqlite's own busy_timeout;
        // with the old 30 s a locked database answered after 30 s whatever the busy timeout said. Both are the busy
        // timeout now, so a blocked write gives up after it (SQLite has no other use for a command timeout).
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling((busyTimeout ?? DefaultBusyTimeout).TotalSeconds));
        builder.Pooling = true;
        return builder.ToString();
    }
}
