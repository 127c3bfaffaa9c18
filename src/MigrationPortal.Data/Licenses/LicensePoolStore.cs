using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Data.Licenses;

/// <summary>
/// Reads the license pool untracked and saves what an action did to it: the net change as one conditional update
/// of the counter and the movements as new ledger rows. Nothing else ever writes the counter, so the pool row is
/// not a concurrency token that unrelated mailboxes would fight over.
/// </summary>
public static class LicensePoolStore
{
    public static Task<LicensePool> LoadAsync(PortalDbContext db, CancellationToken ct) =>
        db.LicensePools.AsNoTracking().SingleAsync(p => p.Id == LicensePool.SingletonId, ct);

    public static Task<int> AvailableAsync(PortalDbContext db, CancellationToken ct) =>
        db.LicensePools.Where(p => p.Id == LicensePool.SingletonId).Select(p => p.Available).SingleAsync(ct);

    /// <summary>Applies the pool's pending change inside the caller's transaction.</summary>
    /// <exception cref="MailboxTransitionException">The change would take the pool below zero: no license is left.</exception>
    public static async Task ApplyAsync(PortalDbContext db, LicensePool pool, CancellationToken ct)
    {
        if (pool.Movements.Count == 0) return;
        var change = pool.PendingChange;
        if (change != 0)
        {
            var updated = await db.LicensePools
                .Where(p => p.Id == LicensePool.SingletonId && p.Available + change >= 0)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.Available, p => p.Available + change), ct);
            if (updated == 0)
                throw new MailboxTransitionException(LicensePool.NoneAvailableMessage);
        }
        pool.Settled(await AvailableAsync(db, ct));
        foreach (var movement in pool.Movements)
        {
            db.LicenseMovements.Add(movement);
            db.Entry(movement).Property("PoolId").CurrentValue = LicensePool.SingletonId;
        }
    }
}
