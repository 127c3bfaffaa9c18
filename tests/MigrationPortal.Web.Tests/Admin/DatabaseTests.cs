using Microsoft.Data.Sqlite;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

public sealed class DatabaseTests
{
    [Fact]
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
}
