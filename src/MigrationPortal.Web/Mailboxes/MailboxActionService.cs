using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Email;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Outbox;
using MigrationPortal.Web.Projects.SignIn;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>What a toolbar action did, item by item, in the order of the selection.</summary>
public sealed record BulkActionReport(string Action, IReadOnlyList<MailboxOutcome> Items)
{
    public int Applied => Items.Count(i => i.Applied);
}

/// <summary>
/// Runs the dashboard's actions on a selection of mailboxes, through the mailbox unit of work in batches: a refusal,
/// a conflict or a concurrent Delete on one item is that item's outcome and the others go on. Items whose status
/// already rules the action out are refused from one query, without loading each of them.
/// </summary>
public sealed partial class MailboxActionService(
    PortalDbContext db,
    MailboxUnitOfWork unitOfWork,
    MailboxRules rules,
    UserEmails emails,
    OutboxQueue outbox,
    Worker.MigrationSignal migrations,
    Worker.PassStopSignal stops,
    ILogger<MailboxActionService> logger)
{
    public const string Start = "Start";
    public const string Stop = "Stop";
    public const string ClearCredentials = "Clear Credentials";
    public const string Delete = "Delete";
    public const string VerifyCredentials = "Verify Credentials";
    public const string ResendRequest = "Resend Request";

    /// <summary>
    /// Start; an item that needs the user's credentials gets its email queued in the same transaction as its
    /// new status, so the two cannot come apart. The emails go out once their items are saved.
    /// </summary>
    /// <param name="pass">The pass type for every item; null: Delta for an item that has completed a pass, Full otherwise.</param>
    /// <param name="journal">For the background worker: records each Start with the mailbox's change, in its transaction.</param>
    public async Task<BulkActionReport> StartAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct,
        PassRequest? pass = null, IActionJournal? journal = null)
    {
        var project = await ProjectEmails.LoadAsync(db, projectId, ct);
        var startRules = rules with { Tokens = await ProjectSignIns.TokenSidesAsync(db, projectId, ct) };
        // Read per batch of mailboxes, not per mailbox: which have completed a pass, and for Retry Errors what each has to retry.
        HashSet<int> completed = [];
        Dictionary<int, int> failed = [];
        try
        {
            return await ForEachAsync(Start, MailboxAction.Start, projectId, ids, ct, (work, token) =>
            {
                var id = work.Mailbox.Id;
                var chosen = pass ?? (completed.Contains(id) ? PassRequest.Create(PassKind.Delta) : PassRequest.Full);
                // Checked before Start changes anything, so this mailbox alone is refused, saying why, and the rest go on
                // (an address the email cannot go to exactly threw while composing: an error page, nothing started).
                if (work.Mailbox.NeedsCredentialsFromUser(startRules.Tokens) && !CredentialRequestEmail.CanSendTo(work.Mailbox.NotifyEmail))
                    throw new DomainValidationException(CredentialRequestEmail.CannotSendTo(work.Mailbox.NotifyEmail) + " Edit the mailbox to correct it.");
                var issued = work.Mailbox.Start(work.Licenses, startRules, actor, work.Now, chosen, failed.GetValueOrDefault(id));
                CancelUnsentLinks(work);
                if (issued is not null)
                    emails.QueueRequest(work.Db, work.Mailbox, issued, project, work.Now);
                journal?.Applied(id, work.Now);
                return Task.CompletedTask;
            }, async (batch, token) =>
            {
                if (journal is not null) await journal.LoadAsync(db, batch, token);
                // One array parameter (json_each on SQLite, = ANY on PostgreSQL): a query per batch that EF compiles
                // once, instead of 250 parameters' worth of SQL built anew for every batch.
                var ids = batch.ToArray();
                completed = [.. await db.MigrationPasses.Where(p => EF.Parameter(ids).Contains(p.MailboxId) && p.Outcome == PassOutcome.Completed)
                    .Select(p => p.MailboxId).Distinct().ToListAsync(token)];
                if (pass?.Kind == PassKind.RetryErrors)
                    failed = await db.FailedMessages.Where(f => EF.Parameter(ids).Contains(f.MailboxId)).GroupBy(f => f.MailboxId)
                        .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, token);
            });
        }
        finally
        {
            outbox.Wake();
            migrations.Notify();
        }
    }

    /// <summary>
    /// Resend Request: the open link of each mailbox Waiting for User emailed again, unchanged (the first email keeps
    /// working); refused for a mailbox whose link was emailed less than <see cref="MailboxRules.ResendInterval"/> ago.
    /// </summary>
    public async Task<BulkActionReport> ResendRequestAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct)
    {
        var project = await ProjectEmails.LoadAsync(db, projectId, ct);
        try
        {
            return await ForEachAsync(ResendRequest, MailboxAction.RemindUser, projectId, ids, ct, (work, token) =>
            {
                if (emails.CanSendAgain(work.Mailbox) == false)
                    throw new MailboxTransitionException(UserEmails.LinkUnreadableText);
                var request = work.Mailbox.ResendRequest(rules.ResendInterval, actor, work.Now);
                emails.QueueAgain(work.Db, work.Mailbox, request, project, work.Now, reminder: false);
                return Task.CompletedTask;
            });
        }
        finally
        {
            outbox.Wake();
        }
    }

    public async Task<BulkActionReport> StopAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct)
    {
        var report = await ForEachAsync(Stop, MailboxAction.Stop, projectId, ids, ct, async (work, token) =>
        {
            // A worker copying the mailbox ends the pass itself, at a message boundary, with what it really copied:
            // only then is the license settled. Without a live claim there is no one to wait for.
            if (work.Mailbox.Status == MailboxStatus.Migrating && await MigrationClaimStore.RequestStopAsync(work.Db, work.Mailbox.Id, work.Now, token))
                work.Mailbox.RequestStop(actor, work.Now);
            else if (work.Mailbox.Status == MailboxStatus.Stopping && await MigrationClaimStore.Live(work.Db, work.Now).AnyAsync(c => c.MailboxId == work.Mailbox.Id, token))
                throw new MailboxTransitionException("It is Stopping: its worker ends the pass within seconds.");
            else
                work.Mailbox.Stop(work.Licenses, actor, work.Now);
            CancelUnsentLinks(work);
        });
        // This process's passes look at once (other instances hear of it through the database: MigrationWakeUps).
        if (report.Applied > 0) stops.Pulse();
        return report;
    }

    public Task<BulkActionReport> ClearCredentialsAsync(int projectId, IReadOnlyCollection<int> ids, bool source, bool destination, string actor, CancellationToken ct)
    {
        if (!source && !destination)
            return Task.FromResult(new BulkActionReport(ClearCredentials,
                [new MailboxOutcome(0, "(none)", MailboxOutcomeKind.Refused, "Choose Clear Source Credentials, Clear Destination Credentials, or both.")]));
        return ForEachAsync(ClearCredentials, MailboxAction.ClearCredentials, projectId, ids, ct, (work, token) =>
        {
            work.Mailbox.ClearCredentials(source, destination, actor, work.Now);
            CancelUnsentLinks(work);
            return Task.CompletedTask;
        });
    }

    public Task<BulkActionReport> DeleteAsync(int projectId, IReadOnlyCollection<int> ids, string actor, CancellationToken ct) =>
        ForEachAsync(Delete, MailboxAction.Delete, projectId, ids, ct, (work, token) =>
        {
            work.Mailbox.Delete(work.Now);
            CancelUnsentLinks(work);
            work.Db.Mailboxes.Remove(work.Mailbox);
            LogDeleted(logger, work.Mailbox.Id, actor);
            return Task.CompletedTask;
        });

    /// <summary>
    /// The first step of every action: the selection's items as they are now, and the refusals that their status
    /// alone decides (the lifecycle table; the aggregate checks the same rule again when it is applied).
    /// </summary>
    public async Task<(List<(int Id, string Label)> Candidates, List<MailboxOutcome> Refused)> TriageAsync(
        int projectId, IReadOnlyCollection<int> ids, MailboxAction action, CancellationToken ct)
    {
        var wanted = ids.Distinct().ToList();
        var found = new Dictionary<int, (MailboxStatus Status, string Label, bool CredentialsKnown)>();
        // A side that signs in with tokens needs no password to be verified.
        var tokens = await ProjectSignIns.TokenSidesAsync(db, projectId, ct);
        foreach (var chunk in wanted.Chunk(500))
        {
            var rows = await db.Mailboxes.AsNoTracking()
                .Where(m => m.ProjectId == projectId && EF.Parameter(chunk).Contains(m.Id))
                .Select(m => new
                {
                    m.Id, m.Status, SourceEmail = m.Source.Email, DestinationEmail = m.Destination.Email,
                    Known = (tokens.Source || m.Source.ProtectedPassword != null) && (tokens.Destination || m.Destination.ProtectedPassword != null),
                })
                .ToListAsync(ct);
            foreach (var row in rows)
                found[row.Id] = (row.Status, Mailbox.LabelFor(row.SourceEmail, row.DestinationEmail), row.Known);
        }

        var candidates = new List<(int, string)>();
        var refused = new List<MailboxOutcome>();
        foreach (var id in wanted)
        {
            if (!found.TryGetValue(id, out var item))
                refused.Add(new MailboxOutcome(id, $"#{id}", MailboxOutcomeKind.Gone, MailboxOutcome.NotFoundText));
            else if (!MailboxTransitions.IsAllowed(item.Status, action))
                refused.Add(new MailboxOutcome(id, item.Label, MailboxOutcomeKind.Refused, MailboxTransitions.RefusalMessage(item.Status, action)));
            else if (action == MailboxAction.VerifyCredentials && !item.CredentialsKnown)
                refused.Add(new MailboxOutcome(id, item.Label, MailboxOutcomeKind.Refused, Mailbox.CredentialsNotKnownMessage));
            else
                candidates.Add((id, item.Label));
        }
        return (candidates, refused);
    }

    /// <param name="prepare">Loads, for a batch of mailboxes, what <paramref name="apply"/> reads besides them.</param>
    private async Task<BulkActionReport> ForEachAsync(string name, MailboxAction action, int projectId, IReadOnlyCollection<int> ids,
        CancellationToken ct, Func<MailboxWork, CancellationToken, Task> apply, Func<IReadOnlyCollection<int>, CancellationToken, Task>? prepare = null)
    {
        var (candidates, refused) = await TriageAsync(projectId, ids, action, ct);
        var outcomes = new Dictionary<int, MailboxOutcome>();
        foreach (var r in refused) outcomes[r.MailboxId] = r;

        foreach (var outcome in await unitOfWork.RunManyAsync(candidates, projectId, apply, ct, async (batch, token) =>
                 {
                     // Tracked, so what CancelUnsentLinks cancels is saved with the batch.
                     var ids = batch.ToArray();
                     _unsent = (await db.OutboxMessages.Where(m => m.MailboxId != null && EF.Parameter(ids).Contains(m.MailboxId.Value) && m.State == OutboxState.Pending)
                         .ToListAsync(token)).ToLookup(m => m.MailboxId!.Value);
                     if (prepare is not null) await prepare(batch, token);
                 }))
            outcomes[outcome.MailboxId] = outcome;
        return new BulkActionReport(name, ids.Distinct().Select(id => outcomes[id]).ToList());
    }

    /// <summary>The unsent emails of the batch being worked on (loaded with it).</summary>
    private ILookup<int, OutboxMessage> _unsent = Array.Empty<OutboxMessage>().ToLookup(m => m.MailboxId!.Value);

    /// <summary>
    /// Every toolbar action revokes the item's earlier link (Start replaces it), so an email still waiting to carry
    /// that link is cancelled. Called before a new message is queued, so only older ones are found.
    /// </summary>
    private void CancelUnsentLinks(MailboxWork work)
    {
        foreach (var message in _unsent[work.Mailbox.Id])
            message.Cancel("Not sent: the link it carried was revoked before delivery.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId} deleted by {Actor}")]
    private static partial void LogDeleted(ILogger logger, int mailboxId, string actor);
}
