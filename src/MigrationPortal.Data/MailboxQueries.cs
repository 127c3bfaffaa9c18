using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Data;

public static class MailboxQueries
{
    /// <summary>Mailboxes with what their lifecycle methods touch: the outstanding link and the running pass.</summary>
    public static IQueryable<Mailbox> WithLifecycleState(this IQueryable<Mailbox> mailboxes) =>
        mailboxes
            .Include(m => m.CredentialRequests.Where(r => r.State == CredentialRequestState.Pending || r.State == CredentialRequestState.Verifying))
            .Include(m => m.Passes.Where(p => p.Outcome == PassOutcome.Running))
            .AsSplitQuery();
}
