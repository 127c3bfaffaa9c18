using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
            Configure(options, ReadProvider(configuration), configuration.GetConnectionString("Portal"), contentRootPath));
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

    public static void Configure(DbContextOptionsBuilder options, DatabaseProvider provider, string? connectionString, string contentRootPath)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                options.UseSqlite(SqliteConnectionString(connectionString, contentRootPath),
                        sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
                    .AddInterceptors(SqlitePragmas.Instance);
                break;
            case DatabaseProvider.Postgres:
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException("ConnectionStrings:Portal is required when Database:Provider is Postgres.");
                options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
        }
    }

    /// <summary>A relative SQLite file is placed under the content root, and its folder is created.</summary>
    public static string SqliteConnectionString(string? connectionString, string contentRootPath)
    {
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqliteConnection : connectionString);
        if (builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            var path = Path.GetFullPath(Path.Combine(contentRootPath, builder.DataSource));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.DataSource = path;
        }
        // Microsoft.Data.Sqlite retries a busy database until the command timeout; keep that generous.
        if (builder.DefaultTimeout < 30) builder.DefaultTimeout = 30;
        builder.Pooling = true;
        return builder.ToString();
    }
}
