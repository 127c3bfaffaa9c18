using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using MigrationPortal.Data;

namespace MigrationPortal.Migrations.Postgres;

/// <summary>Lets `dotnet ef migrations add` build the model for this provider without starting the web host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabase.Configure(options, DatabaseProvider.Postgres, "Host=localhost;Database=migrationportal;Username=postgres", Path.GetTempPath());
        return new PortalDbContext(options.Options);
    }
}
