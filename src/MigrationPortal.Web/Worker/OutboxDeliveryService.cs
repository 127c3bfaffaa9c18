using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Data;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Email;
using MigrationPortal.Web.Outbox;
using MimeKit;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// Delivers the outbox. Each due message is claimed with a conditional update (so two portal instances never send one
/// message twice), sent through the shared sender (one SMTP connection for the whole batch), and its outcome recorded
/// on the row the admin's Outbox page shows. Nothing here logs a message's content: it carries a one-time link.
/// </summary>
public sealed partial class OutboxDeliveryService(
    IServiceScopeFactory scopes,
    IEmailSender sender,
    OutboxQueue queue,
    OutboxSignal signal,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDeliveryService> logger) : PollingWorker(signal, logger)
{
    private readonly OutboxOptions _options = options.Value;

    private enum Outcome { NotClaimed, Sent, Failed, EndpointUnavailable }

    /// <param name="Error">Null when the message was handed over.</param>
    /// <param name="Permanent">The server refused it for good (5xx), or it cannot be read: retrying will not help.</param>
    /// <param name="EndpointUnavailable">No answer at all: the next messages would only wait for the same timeout.</param>
    private readonly record struct Attempt(string? Error, bool Permanent, bool EndpointUnavailable);

    protected override TimeSpan PollInterval => _options.PollInterval;

    /// <returns>True when a full batch was worked through and more may be due right away.</returns>
    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var ids = await Due(db.OutboxMessages, time.GetUtcNow())
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id)
            .Select(m => m.Id)
            .Take(_options.BatchSize)
            .ToListAsync(ct);

        var attempted = 0;
        foreach (var id in ids)
        {
            Outcome outcome;
            try
            {
                outcome = await DeliverAsync(db, id, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogMessageFailed(logger, e, id);
                continue;
            }

            if (outcome == Outcome.NotClaimed) continue;
            attempted++;
            if (outcome == Outcome.EndpointUnavailable) return false;
        }

        return ids.Count == _options.BatchSize && attempted > 0;
    }

    private async Task<Outcome> DeliverAsync(PortalDbContext db, long id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // Whole milliseconds, so the value still compares equal after any provider rounds it on the way in.
        var lease = TruncateToMilliseconds(now + _options.Lease);
        var claimed = await Due(db.OutboxMessages.Where(m => m.Id == id), now)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, (DateTimeOffset?)lease), ct);
        if (claimed != 1)
            return Outcome.NotClaimed; // another instance has it, or it was cancelled since the batch was read

        var message = await db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Id == id, ct);
        var attempt = await AttemptAsync(message, ct);

        // Recorded even when shutdown began meanwhile: the attempt happened.
        if (attempt.Error is null)
        {
            message.MarkSent(time.GetUtcNow());
            if (!await WriteOutcomeAsync(db, message, lease, CancellationToken.None))
            {
                // The email left, so that is what the row must say, even though a Stop revoked its link meanwhile.
                await WriteOutcomeAsync(db, message, heldLease: null, CancellationToken.None);
                LogSentAfterChange(logger, message.Id, message.To);
            }
            LogSent(logger, message.Id, message.Subject, message.To, message.Attempts);
            return Outcome.Sent;
        }

        var attempts = message.Attempts + 1;
        TimeSpan? retryAfter = attempt.Permanent || attempts >= _options.MaxAttempts ? null : _options.RetryDelay(attempts);
        message.MarkAttemptFailed(attempt.Error, time.GetUtcNow(), retryAfter);
        if (!await WriteOutcomeAsync(db, message, lease, CancellationToken.None))
            LogFailureNotRecorded(logger, message.Id, message.To, attempt.Error);
        else if (retryAfter is null)
            LogGaveUp(logger, message.Id, message.To, message.Attempts, attempt.Error);
        else
            LogRetrying(logger, message.Id, message.To, message.Attempts, message.NextAttemptAt, attempt.Error);

        return attempt.EndpointUnavailable ? Outcome.EndpointUnavailable : Outcome.Failed;
    }

    private async Task<Attempt> AttemptAsync(OutboxMessage message, CancellationToken ct)
    {
        MimeMessage mime;
        try
        {
            mime = queue.Read(message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A lost key or a damaged row: it will read no better next time.
            return new Attempt($"The stored message could not be read, so it was not sent: {e.Message}", Permanent: true, EndpointUnavailable: false);
        }

        // Real time, also under a test clock: this bounds a network operation, not a business rule.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            await sender.SendAsync(mime, timeout.Token);
            return new Attempt(null, false, false);
        }
        catch (EmailDeliveryException e)
        {
            return new Attempt(e.Message, Permanent: IsPermanentForThisMessage(e.StatusCode), EndpointUnavailable: e.StatusCode is null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Attempt($"No answer within {_options.SendTimeout.TotalSeconds:0} s; the send was abandoned.", Permanent: false, EndpointUnavailable: true);
        }
    }

    /// <summary>
    /// Writes what the message's own methods decided. With <paramref name="heldLease"/> only while this claim still
    /// holds: a Stop that cancelled the message meanwhile keeps its word, and a claim that outlived its lease does not
    /// overwrite another instance's work.
    /// </summary>
    private static async Task<bool> WriteOutcomeAsync(PortalDbContext db, OutboxMessage message, DateTimeOffset? heldLease, CancellationToken ct)
    {
        var row = db.OutboxMessages.Where(m => m.Id == message.Id);
        if (heldLease is { } lease)
            row = row.Where(m => m.State == OutboxState.Pending && m.LeaseUntil == lease);
        return await row.ExecuteUpdateAsync(s => s
            .SetProperty(m => m.State, message.State)
            .SetProperty(m => m.Attempts, message.Attempts)
            .SetProperty(m => m.NextAttemptAt, message.NextAttemptAt)
            .SetProperty(m => m.SentAt, message.SentAt)
            .SetProperty(m => m.LastError, message.LastError)
            .SetProperty(m => m.LeaseUntil, message.LeaseUntil)
            .SetProperty(m => m.ProtectedContent, message.ProtectedContent), ct) == 1;
    }

    private static IQueryable<OutboxMessage> Due(IQueryable<OutboxMessage> messages, DateTimeOffset now) =>
        messages.Where(m => m.State == OutboxState.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now));

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox message {MessageId} '{Subject}' to {To} sent (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, long messageId, string subject, string to, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {MessageId} to {To} not sent (attempt {Attempt}); next attempt at {NextAttemptAt:u}: {Error}")]
    private static partial void LogRetrying(ILogger logger, long messageId, string to, int attempt, DateTimeOffset nextAttemptAt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox message {MessageId} to {To} given up after {Attempts} attempts: {Error}")]
    private static partial void LogGaveUp(ILogger logger, long messageId, string to, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox message {MessageId} to {To} was cancelled or reclaimed while it was being sent; its failed attempt is not recorded: {Error}")]
    private static partial void LogFailureNotRecorded(ILogger logger, long messageId, string to, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {MessageId} to {To} was delivered after it had been cancelled or reclaimed; the link it carries may no longer work")]
    private static partial void LogSentAfterChange(ILogger logger, long messageId, string to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox message {MessageId} could not be processed; it is tried again when its lease ends")]
    private static partial void LogMessageFailed(ILogger logger, Exception exception, long messageId);

    /// <summary>
    /// Only a refusal of this message or its recipient is final (501 bad address, 550–553 mailbox refused).
    /// Other 5xx answers, a refused SMTP login (530/535) above all, are the portal's configuration: retried,
    /// so fixing Smtp:User or Smtp:Password does not mean starting every mailbox again.
    /// </summary>
    private static bool IsPermanentForThisMessage(int? statusCode) => statusCode is 501 or (>= 550 and <= 553);
}
