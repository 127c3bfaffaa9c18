using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using MigrationPortal.Data;

namespace MigrationPortal.Migrations.Sqlite;

/// <summary>Lets `dotnet ef migrations add` build the model for this provider without starting the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabase.Configure(options, DatabaseProvider.Sqlite, "Data Source=design-time.db", Path.GetTempPath());
        return new PortalDbContext(options.Options);
    }
}
