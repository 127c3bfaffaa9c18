using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Web.Outbox;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// Reminds users who have not answered: per project, after its number of days since the link was last emailed, at most
/// its number of times, always the same link. Each reminder goes through the mailbox unit of work, which decides again
/// on the mailbox as it is then (so none goes out once the item left Waiting for User) and saves the reminder's email
/// with it; two instances deciding on one mailbox at once conflict on its version, and one of them sends.
/// </summary>
public sealed partial class ReminderService(
    IServiceScopeFactory scopes,
    ReminderSignal signal,
    OutboxQueue outbox,
    TimeProvider time,
    IOptions<PortalOptions> options,
    ILogger<ReminderService> logger) : PollingWorker(signal, logger)
{
    protected override TimeSpan PollInterval => options.Value.ReminderPoll;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var unitOfWork = scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>();
        var emails = scope.ServiceProvider.GetRequiredService<UserEmails>();

        var now = time.GetUtcNow();
        // No project reminds sooner than a day after the last email: what is newer is not read at all. The exact day count
        // is each project's, compared here, where adding days to a stored time is the same on both databases.
        var oldest = now.AddDays(-1);
        var due = await db.CredentialRequests.AsNoTracking()
            .Where(r => r.State == CredentialRequestState.Pending && r.ProtectedToken != null && r.ExpiresAt > now && r.LastSentAt <= oldest)
            .Join(db.Mailboxes.Where(m => m.Status == MailboxStatus.WaitingForUser), r => r.MailboxId, m => m.Id, (r, m) => new { Request = r, m.ProjectId })
            .Join(db.Projects, x => x.ProjectId, p => p.Id, (x, p) => new
            {
                x.Request.MailboxId, x.Request.RemindersSent, x.Request.LastSentAt, ProjectId = p.Id, p.ReminderAfterDays, p.MaxReminders,
            })
            .Where(x => x.RemindersSent < x.MaxReminders)
            .ToListAsync(ct);

        var sent = 0;
        var projects = new Dictionary<int, ProjectEmails>();
        foreach (var item in due.Where(x => x.LastSentAt.AddDays(x.ReminderAfterDays) <= now).OrderBy(x => x.LastSentAt))
        {
            if (!projects.TryGetValue(item.ProjectId, out var project))
                projects[item.ProjectId] = project = await ProjectEmails.LoadAsync(db, item.ProjectId, ct);
            var reminded = false;
            var outcome = await unitOfWork.RunAsync(item.MailboxId, item.ProjectId, (work, _) =>
            {
                reminded = false;
                // The project's settings as read above; a change to them meanwhile applies from the next round.
                if (work.Mailbox.RemindUser(TimeSpan.FromDays(item.ReminderAfterDays), item.MaxReminders, work.Now) is { } request)
                {
                    emails.QueueAgain(work.Db, work.Mailbox, request, project, work.Now, reminder: true);
                    reminded = true;
                }
                return Task.CompletedTask;
            }, ct);
            if (outcome.Applied && reminded) sent++;
            else if (!outcome.Applied) LogNotReminded(logger, item.MailboxId, outcome.Kind, outcome.Reason ?? "");
        }
        if (sent > 0)
        {
            LogReminded(logger, sent);
            outbox.Wake();
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reminders: {Count} users reminded of their link")]
    private static partial void LogReminded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reminders: mailbox {MailboxId} not reminded ({Outcome}): {Reason}")]
    private static partial void LogNotReminded(ILogger logger, int mailboxId, MailboxOutcomeKind outcome, string reason);
}

/// <summary>Nothing queues reminders from a request; the worker polls. A signal so it shares the polling loop.</summary>
public sealed class ReminderSignal : WakeSignal;
