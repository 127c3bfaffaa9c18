using Microsoft.EntityFrameworkCore;

namespace MigrationPortal.Data.MigrationClaims;

/// <summary>
/// Tells every portal instance on a PostgreSQL database that a mailbox may be claimed now (one was submitted, a slot
/// was freed), so their workers need not wait for their next poll. A PostgreSQL NOTIFY on <see cref="Channel"/>: sent
/// inside a transaction it is delivered when that commits, and not at all if it rolls back. Notifications are not
/// durable (an instance that is not listening at that moment misses it), so the workers still poll. On SQLite there
/// is one process, and its own in-process signal is enough: nothing is sent.
/// </summary>
public static class MigrationWakeUps
{
    public const string Channel = "migrationportal_wake";

    private const string NotifySql = "SELECT pg_notify('" + Channel + "', '')";

    public static async Task NotifyAsync(PortalDbContext db, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlRawAsync(NotifySql, ct);
    }
}
