using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// Writes each throttling wait of a running pass onto its row as the wait begins, so the dashboard says the provider
/// throttled it and when it resumes. The engine tells of the wait synchronously, between attempts; the write goes
/// through a scope of its own (the pass's DbContext belongs to its checkpoint store) and is awaited before the pass
/// is settled, so the row's last state is never written after it.
/// </summary>
internal sealed partial class ThrottlingRecorder(IServiceScopeFactory scopes, Claim claim, TimeProvider time, ILogger logger)
{
    private readonly List<Task> _writes = [];

    public void Record(TimeSpan wait, string serverWords)
    {
        LogThrottled(logger, claim.MailboxId, wait, serverWords);
        var until = time.GetUtcNow() + wait;
        lock (_writes)
            _writes.Add(WriteAsync(until, serverWords));
    }

    public async Task DrainAsync()
    {
        Task[] writes;
        lock (_writes)
            writes = [.. _writes];
        await Task.WhenAll(writes);
    }

    private async Task WriteAsync(DateTimeOffset until, string serverWords)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<PassProgressWriter>().WriteAsync(claim,
                (work, ct) => PassProgressWriter.RecordThrottlingAsync(work, until, serverWords, ct), CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Only the dashboard's note is lost; the pass waits and resumes all the same.
            LogNotRecorded(logger, e, claim.MailboxId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: the provider throttled the pass; waiting {Wait} as it asked ({ServerWords})")]
    private static partial void LogThrottled(ILogger logger, int mailboxId, TimeSpan wait, string serverWords);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: the throttling wait could not be shown on the dashboard")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, int mailboxId);
}
