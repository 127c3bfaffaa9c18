using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Options;
using MigrationPortal.Data;
using MigrationPortal.Email;

namespace MigrationPortal.Web.Startup;

/// <summary>
/// Brings the database to the current migration and creates the configured first admin, before the
/// server takes requests (hosted services start before Kestrel listens). On SQLite it first makes sure this is the only
/// portal process on the file (<see cref="SqliteInstanceLock"/>), and holds that until the process stops.
/// </summary>
internal sealed partial class DatabaseInitializer(
    IServiceProvider services,
    IOptions<AdminOptions> admin,
    IConfiguration configuration,
    EmailDeliveryDescription emailDelivery,
    ILogger<DatabaseInitializer> logger) : IHostedService, IDisposable
{
    private SqliteInstanceLock? _instanceLock;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        if (db.Database.IsSqlite())
            _instanceLock = new SqliteInstanceLock(db.Database.GetConnectionString()!);
        if (db.Database.IsNpgsql())
        {
            // Instances started at the same moment on one database take turns: each found it new, and both creating
            // the history table (PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a concurrent one) or the
            // admin account would stop one of them at start-up. A session lock, on the connection EF then keeps open.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock({0})", [StartUpLock], cancellationToken);
            try
            {
                // Npgsql's migrator reads the history table without looking whether it exists, and on a new database
                // logs that failed read as an Error (npgsql/efcore.pg#3407) that an operator would take for a fault.
                // EF's own "create if not exists" script for the table first: the read then finds it, empty.
                var history = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>();
                await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
                await PrepareAsync(scope.ServiceProvider, db, cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock({0})", [StartUpLock], CancellationToken.None);
                await db.Database.CloseConnectionAsync();
            }
        }
        else
        {
            await PrepareAsync(scope.ServiceProvider, db, cancellationToken);
        }
    }

    /// <summary>The advisory lock key instances take turns on at start-up ("MPstart").</summary>
    private const long StartUpLock = 0x4D50_7374_6172_74;

    private async Task PrepareAsync(IServiceProvider scoped, PortalDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.MigrateAsync(cancellationToken);
        LogDatabaseReady(logger, db.Database.ProviderName ?? "?", DescribeDatabase(db));
        LogEmailDelivery(logger, emailDelivery.Describe());
        if (!Security.KeyRingCertificate.IsConfigured(configuration))
            LogKeyRingUnencrypted(logger);

        await EnsureAdminAsync(scoped, cancellationToken);
        await scoped.GetRequiredService<KeyRingCheck>().RunAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _instanceLock?.Dispose();
        _instanceLock = null;
    }

    private async Task EnsureAdminAsync(IServiceProvider scoped, CancellationToken cancellationToken)
    {
        var (email, password) = (admin.Value.Email?.Trim(), admin.Value.Password);
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password)) return;

        var roles = scoped.GetRequiredService<RoleManager<IdentityRole>>();
        if (!await roles.RoleExistsAsync(PortalServices.AdminRole))
            Check(await roles.CreateAsync(new IdentityRole(PortalServices.AdminRole)), "create the Admin role");

        var users = scoped.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByEmailAsync(email) is not null) return;

        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        Check(await users.CreateAsync(user, password), $"create the admin account {email} from Admin:Email and Admin:Password");
        Check(await users.AddToRoleAsync(user, PortalServices.AdminRole), $"make {email} an admin");
        LogAdminCreated(logger, email);
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
    }

    private static string DescribeDatabase(PortalDbContext db) =>
        db.Database.IsSqlite() ? db.Database.GetDbConnection().DataSource : db.Database.GetDbConnection().Database;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready ({Provider}: {Database})")]
    private static partial void LogDatabaseReady(ILogger logger, string provider, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outgoing mail: {Delivery}")]
    private static partial void LogEmailDelivery(ILogger logger, string delivery);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The DataProtection key ring is stored unencrypted in the database: anyone with a copy of the database can decrypt the stored mailbox passwords. Set DataProtection:CertificatePath (and DataProtection:CertificatePassword) to a .pfx certificate to encrypt it.")]
    private static partial void LogKeyRingUnencrypted(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the admin account {Email}")]
    private static partial void LogAdminCreated(ILogger logger, string email);
}
