using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

public sealed class DatabaseTests
{
    [SqliteFact("it opens the SQLite file and reads its journal mode")]
    public async Task Startup_NewSqliteFile_IsMigratedAndInWalModeWithOneEmptyLicensePool()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);

        var licenses = await admin.LoginAsync().ContinueWith(_ => admin.Client.GetAsync("/Admin/Licenses")).Unwrap();

        Assert.Equal(0, AdminPages.LicensesAvailable(licenses));
        await using var connection = new SqliteConnection($"Data Source={portal.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode; ";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        command.CommandText = "SELECT COUNT(*) FROM __EFMigrationsHistory";
        Assert.True((long)(await command.ExecuteScalarAsync())! >= 2);
    }

    /// <summary>On the provider the run is on (SQLite, or PostgreSQL with its own migration set).</summary>
    [Fact]
    public async Task Startup_NewDatabase_MigratedToTheCurrentModelWithNoErrorLogged()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();

        Assert.Empty(await portal.WithDbAsync(db => db.Database.GetPendingMigrationsAsync()));
        // The provider's migration set builds exactly the model the code has (none was forgotten for this provider).
        Assert.False(await portal.WithDbAsync(db => Task.FromResult(db.Database.HasPendingModelChanges())));
        Assert.Equal(portal.Provider == MigrationPortal.Data.DatabaseProvider.Postgres, await portal.WithDbAsync(db => Task.FromResult(db.Database.IsNpgsql())));
        // A first start says nothing an operator would take for a fault.
        Assert.DoesNotContain(portal.LogLines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
    }
}
