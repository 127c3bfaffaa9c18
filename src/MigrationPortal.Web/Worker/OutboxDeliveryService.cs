using Microsoft.Extensions.Options;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Email;
using MigrationPortal.Web.Outbox;
using MimeKit;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// Delivers the outbox. A batch of due messages is claimed in one go (a lease only this claim holds, so two portal
/// instances never send one message twice), sent one after another through the shared sender (one SMTP connection),
/// and the outcomes recorded on the rows the admin's Outbox page shows, each as it happens. Nothing here logs a
/// message's content: it carries a one-time link.
/// </summary>
/// <remarks>
/// A message the SMTP server accepted but the database does not yet say was sent is sent again if the process dies
/// (when its lease ends): no protocol closes that gap. It is kept to the fewest messages by recording each one the
/// moment its 250 arrives, in a write that overlaps the next message's send (so the SMTP session does not wait on the
/// database): at most the message just accepted and the one whose write is still in flight. The copy carries the
/// same Message-ID. Recording a group of ten at a time, as this did before, left up to ten to be sent twice.
/// </remarks>
public sealed partial class OutboxDeliveryService(
    IServiceScopeFactory scopes,
    IEmailSender sender,
    OutboxQueue queue,
    OutboxSignal signal,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDeliveryService> logger) : PollingWorker(signal, logger)
{
    /// <summary>How many sends apart the rest of the batch is checked for messages a Stop cancelled meanwhile, which are then not sent.</summary>
    private const int SentPerCancellationCheck = 10;

    private readonly OutboxOptions _options = options.Value;

    /// <param name="Error">Null when the message was handed over.</param>
    /// <param name="Permanent">The server refused it for good (5xx), or it cannot be read: retrying will not help.</param>
    /// <param name="EndpointUnavailable">No answer at all: the next messages would only wait for the same timeout.</param>
    private readonly record struct Attempt(string? Error, bool Permanent, bool EndpointUnavailable);

    protected override TimeSpan PollInterval => _options.PollInterval;

    /// <returns>True when more may be due right away.</returns>
    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<OutboxStore>();
        var now = time.GetUtcNow();
        var lease = TruncateToMilliseconds(now + _options.Lease);
        // A send may take SendTimeout (half the lease), and what it sent must be recorded before the lease ends and
        // another instance may claim the message: so sends start only in the lease's first quarter.
        var startSendsBefore = now + _options.Lease / 4;
        var batch = await store.ClaimAsync(_options.BatchSize, now, lease, ct);
        var more = batch.Count == _options.BatchSize;

        var waiting = new Queue<OutboxMessage>(batch);
        // The write recording the last sent message, while the next one goes out; one write at a time (one DbContext).
        var recording = Task.CompletedTask;
        var sentSinceCheck = 0;
        try
        {
            while (waiting.Count > 0 && !ct.IsCancellationRequested)
            {
                if (time.GetUtcNow() >= startSendsBefore)
                {
                    more = true; // the rest are given back below and claimed again with a lease of their own
                    break;
                }

                var message = waiting.Dequeue();
                var attempt = await AttemptAsync(message, ct);
                if (attempt.Error is null)
                {
                    message.MarkSent(time.GetUtcNow());
                    await recording;
                    // Not cancelled by shutdown: the email left, and the row must say so before this process ends.
                    recording = RecordSentAsync(store, message, lease, CancellationToken.None);
                    if (++sentSinceCheck == SentPerCancellationCheck)
                    {
                        sentSinceCheck = 0;
                        await recording;
                        await DropCancelledAsync(store, waiting, lease, ct);
                    }
                    continue;
                }

                await recording;
                await RecordFailureAsync(store, message, attempt, lease);
                if (attempt.EndpointUnavailable)
                {
                    more = false;
                    break;
                }
            }
        }
        finally
        {
            // Recorded even when shutdown began meanwhile: the attempts happened. A message whose send was cut short
            // keeps its lease (the server may have taken it) and is tried again when the lease ends.
            try
            {
                await recording;
                await store.ReleaseAsync(waiting.Select(m => m.Id).ToList(), lease, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogBatchNotFinished(logger, e, waiting.Count);
            }
        }

        return more && !ct.IsCancellationRequested;
    }

    /// <summary>Records one sent message; a Stop may have cancelled it meanwhile, but it left, so that is what the row says.</summary>
    private async Task RecordSentAsync(OutboxStore store, OutboxMessage message, DateTimeOffset lease, CancellationToken ct)
    {
        if (!await store.RecordIfHeldAsync(message, lease, ct))
        {
            await store.RecordAsync([message], ct);
            LogSentAfterChange(logger, message.Id, message.To);
        }
        LogSent(logger, message.Id, message.Subject, message.To, message.Attempts);
    }

    /// <summary>Drops from <paramref name="waiting"/> the messages this claim no longer holds (a Stop cancelled them), so they are not sent.</summary>
    private static async Task DropCancelledAsync(OutboxStore store, Queue<OutboxMessage> waiting, DateTimeOffset lease, CancellationToken ct)
    {
        var lost = await store.NotHeldAsync(waiting.Select(m => m.Id).ToList(), lease, ct);
        if (lost.Count == 0) return;
        var stillHeld = waiting.Where(m => !lost.Contains(m.Id)).ToList();
        waiting.Clear();
        foreach (var message in stillHeld)
            waiting.Enqueue(message);
    }

    private async Task RecordFailureAsync(OutboxStore store, OutboxMessage message, Attempt attempt, DateTimeOffset lease)
    {
        var attempts = message.Attempts + 1;
        TimeSpan? retryAfter = attempt.Permanent || attempts >= _options.MaxAttempts ? null : _options.RetryDelay(attempts);
        message.MarkAttemptFailed(attempt.Error!, time.GetUtcNow(), retryAfter);
        // Recorded even when shutdown began meanwhile: the attempt happened.
        if (!await store.RecordIfHeldAsync(message, lease, CancellationToken.None))
            LogFailureNotRecorded(logger, message.Id, message.To, attempt.Error!);
        else if (retryAfter is null)
            LogGaveUp(logger, message.Id, message.To, message.Attempts, attempt.Error!);
        else
            LogRetrying(logger, message.Id, message.To, message.Attempts, message.NextAttemptAt, attempt.Error!);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox batch could not be finished: the last sent message may not be recorded (it is sent again when its lease ends); {Waiting} unsent ones are tried then too")]
    private static partial void LogBatchNotFinished(ILogger logger, Exception exception, int waiting);

    /// <summary>
    /// Only a refusal of this message or its recipient is final (501 bad address, 550–553 mailbox refused).
    /// Other 5xx answers, a refused SMTP login (530/535) above all, are the portal's configuration: retried,
    /// so fixing Smtp:User or Smtp:Password does not mean starting every mailbox again.
    /// </summary>
    private static bool IsPermanentForThisMessage(int? statusCode) => statusCode is 501 or (>= 550 and <= 553);
}
