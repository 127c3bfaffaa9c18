using Microsoft.EntityFrameworkCore;

namespace MigrationPortal.Data.MigrationClaims;

/// <summary>
/// Tells every portal instance on a PostgreSQL database that something is waiting for it now, so it need not wait for
/// its next poll: on <see cref="Channel"/> that a mailbox may be claimed (one was submitted, a slot was freed), on
/// <see cref="StopChannel"/> that an admin pressed Stop on a mailbox being migrated (each running pass then checks its
/// claim at once rather than at its next heartbeat). A PostgreSQL NOTIFY: sent inside a transaction it is delivered
/// when that commits, and not at all if it rolls back. Notifications are not durable (an instance that is not listening
/// at that moment misses it), so the workers still poll and the passes still beat. On SQLite there is one process,
/// and its own in-process signals are enough: nothing is sent.
/// </summary>
public static class MigrationWakeUps
{
    public const string Channel = "migrationportal_wake";
    public const string StopChannel = "migrationportal_stop";

    private const string NotifySql = "SELECT pg_notify('" + Channel + "', '')";
    private const string NotifyStopSql = "SELECT pg_notify('" + StopChannel + "', '')";

    public static async Task NotifyAsync(PortalDbContext db, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlRawAsync(NotifySql, ct);
    }

    public static async Task NotifyStopAsync(PortalDbContext db, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlRawAsync(NotifyStopSql, ct);
    }
}
