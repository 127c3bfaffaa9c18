using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;

namespace MigrationPortal.Data.CredentialRequests;

/// <summary>
/// A submission claims its link before the servers are asked: one conditional update whose WHERE clause is the
/// link rule itself (<see cref="CredentialRequest.Usable"/>), so of two concurrent submissions exactly one gets
/// through, and a claim left by a process that died mid-check lapses after its lease.
/// </summary>
public static class CredentialRequestClaims
{
    public static async Task<bool> TryClaimAsync(PortalDbContext db, Guid requestId, DateTimeOffset now, TimeSpan lease, CancellationToken ct)
    {
        var until = now + lease;
        var claimed = await db.CredentialRequests
            .Where(r => r.Id == requestId)
            .Where(CredentialRequest.UsableAt(now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, CredentialRequestState.Verifying)
                .SetProperty(r => r.VerifyingUntil, until)
                .SetProperty(r => r.Attempts, r => r.Attempts + 1), ct);
        return claimed == 1;
    }
}
