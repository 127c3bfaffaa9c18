using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Passes;

/// <summary>One side of a migration: where the mailbox lives and how to log in to it.</summary>
public sealed record MigrationSide(ImapEndpoint Endpoint, ImapLogin Login);

/// <summary>A side could not be opened: its credentials were refused or its server could not be reached.</summary>
public sealed class MigrationSideException(bool isSource, ImapConnectException inner)
    : Exception($"{(isSource ? "Source" : "Destination")}: {inner.Message}", inner)
{
    public bool IsSource { get; } = isSource;
    public ImapConnectFailure Failure { get; } = inner.Failure;

    /// <summary>The server's or socket's words, without the side's name.</summary>
    public string Detail { get; } = inner.Message;
}

/// <summary>
/// The engine's entry point, the same for the portal's worker and the command-line migrator: opens both sides,
/// runs one pass of the chosen kind against the checkpoints, and closes the connections.
/// </summary>
public sealed class MailboxMigration(IImapConnector connector, RetryPolicy? retry = null, TimeProvider? time = null)
{
    /// <summary>Told of each transient fault the pass is retried after, and how long it waits first.</summary>
    public Action<Exception, TimeSpan>? OnRetry { get; init; }

    /// <summary>The message bytes all passes of the process may hold at once (the portal's worker shares one); none: unbounded.</summary>
    public BufferBudget? Budget { get; init; }

    /// <summary>
    /// Folders copied at once, each over its own three connections (source, destination, APPEND writer). Two by
    /// default: measured with bench/imap.sh, the second pair fills the round trips the first waits on (see the README).
    /// </summary>
    public int FoldersAtOnce { get; init; } = DefaultFoldersAtOnce;

    public const int DefaultFoldersAtOnce = 2;

    /// <param name="stop">Ends the pass at the next message boundary, with its progress saved (an admin's Stop, Ctrl+C).</param>
    /// <param name="abort">Ends it at once, saving nothing more (the claim was lost).</param>
    /// <exception cref="MigrationSideException">A side's login was refused or its server unreachable (after the retries).</exception>
    public async Task<PassResult> RunAsync(MigrationSide source, MigrationSide destination, ICheckpointStore checkpoints,
        PassOptions options, CancellationToken stop, CancellationToken abort)
    {
        // A transient fault (a dropped connection, a server restarting) retries the pass with new connections; it
        // resumes from its checkpoints, so what the first attempt copied is neither lost nor copied again.
        var totals = new MailboxPass.PassTotals();
        var pipeline = TransientFaults.Pipeline(retry ?? RetryPolicy.Default, time ?? TimeProvider.System, OnRetry);
        // The waits between attempts end on a Stop too: the pass then ends Stopped with what it had copied.
        using var stopOrAbort = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        try
        {
            return await pipeline.ExecuteAsync(async _ => await AttemptAsync(source, destination, checkpoints, options, totals, stop, abort), stopOrAbort.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            return MailboxPass.Result(totals, stopped: true);
        }
    }

    private async Task<PassResult> AttemptAsync(MigrationSide source, MigrationSide destination, ICheckpointStore checkpoints,
        PassOptions options, MailboxPass.PassTotals totals, CancellationToken stop, CancellationToken abort)
    {
        await using var lane = await OpenLaneAsync(source, destination, abort, writerWhenNeeded: true);
        return await new MailboxPass(lane, checkpoints)
        {
            Options = options,
            Totals = totals,
            Budget = Budget,
            Lanes = FoldersAtOnce,
            OpenLane = ct => OpenLaneAsync(source, destination, ct),
        }.RunAsync(stop, abort);
    }

    /// <param name="writerWhenNeeded">Leave the APPEND writer until a folder is copied (the pass's own lane, which a no-change Delta never copies over).</param>
    private async Task<PassLane> OpenLaneAsync(MigrationSide source, MigrationSide destination, CancellationToken ct, bool writerWhenNeeded = false)
    {
        // The logins at once: over a real network each is a TLS handshake and a login, so a pass (a no-change
        // Delta above all) starts after one round of them instead of one after another.
        var from = OpenAsync(source, isSource: true, ct);
        var to = OpenAsync(destination, isSource: false, ct);
        var writer = writerWhenNeeded ? null : OpenWriterAsync(destination, ct);
        try
        {
            await Task.WhenAll(new Task?[] { from, to, writer }.OfType<Task>());
        }
        catch
        {
            if (from.IsCompletedSuccessfully) await from.Result.DisposeAsync();
            if (to.IsCompletedSuccessfully) await to.Result.DisposeAsync();
            if (writer is { IsCompletedSuccessfully: true }) await writer.Result.DisposeAsync();
            // The source's failure first, then the destination's: what opening them one by one would have said.
            var faults = new Task?[] { from, to, writer }.Select(t => t?.Exception?.InnerException).ToList(); // every fault observed
            if (faults.FirstOrDefault(f => f is not null) is { } fault)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
            throw;
        }
        return writer is null
            ? new PassLane(from.Result.Store, to.Result.Store, token => OpenWriterAsync(destination, token), from.Result, to.Result)
            : new PassLane(from.Result.Store, to.Result.Store, writer.Result, from.Result, to.Result, writer.Result);
    }

    private async Task<AppendWriter> OpenWriterAsync(MigrationSide side, CancellationToken ct)
    {
        try
        {
            return await connector.ConnectAppendWriterAsync(side.Endpoint, side.Login, ct);
        }
        catch (ImapConnectException e)
        {
            throw new MigrationSideException(isSource: false, e);
        }
    }

    private async Task<ImapSession> OpenAsync(MigrationSide side, bool isSource, CancellationToken ct)
    {
        try
        {
            return await connector.ConnectAsync(side.Endpoint, side.Login, ct);
        }
        catch (ImapConnectException e)
        {
            throw new MigrationSideException(isSource, e);
        }
    }
}
