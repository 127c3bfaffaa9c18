using System.Collections.Concurrent;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Passes;

/// <summary>One side of a migration: where the mailbox lives and how to log in to it.</summary>
public sealed record MigrationSide
{
    /// <summary>A side whose login never changes (a password).</summary>
    public MigrationSide(ImapEndpoint endpoint, ImapLogin login)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(login);
        Endpoint = endpoint;
        LoginSource = _ => ValueTask.FromResult(login);
    }

    /// <summary>
    /// A side whose login is asked for each time a connection is opened: a pass opens lanes mid-pass and a retry opens
    /// them again, so a login with an access token that expired meanwhile gets the token source's fresh one.
    /// </summary>
    public MigrationSide(ImapEndpoint endpoint, Func<CancellationToken, ValueTask<ImapLogin>> loginSource)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(loginSource);
        Endpoint = endpoint;
        LoginSource = loginSource;
    }

    /// <summary>A side that logs in as <paramref name="mailbox"/> with the token source's token for it.</summary>
    public static MigrationSide WithTokens(ImapEndpoint endpoint, string mailbox, IAccessTokenSource tokens, ImapAuthMechanism mechanism)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mailbox);
        ArgumentNullException.ThrowIfNull(tokens);
        _ = ImapLogin.SaslName(mechanism);
        return new MigrationSide(endpoint, async ct => ImapLogin.Bearer(mailbox, (await tokens.GetAsync(mailbox, ct)).Value, mechanism));
    }

    public ImapEndpoint Endpoint { get; }

    /// <summary>
    /// The login for the next connection. May throw <see cref="AccessTokenException"/>: the pass then fails as a
    /// refused login of this side (or, when the provider could not be reached, as an unreachable one, which is retried).
    /// </summary>
    public Func<CancellationToken, ValueTask<ImapLogin>> LoginSource { get; }
}

/// <summary>A side could not be opened: its credentials were refused or its server could not be reached.</summary>
public sealed class MigrationSideException(bool isSource, ImapConnectException inner)
    : Exception($"{(isSource ? "Source" : "Destination")}: {inner.Message}", inner)
{
    public bool IsSource { get; } = isSource;
    public ImapConnectFailure Failure { get; } = inner.Failure;

    /// <summary>The server's or socket's words, without the side's name.</summary>
    public string Detail { get; } = inner.Message;

    /// <summary>The side's token provider gave no token (rather than a server refusing what it was sent).</summary>
    public bool NoToken { get; } = inner.InnerException is AccessTokenException;
}

/// <summary>
/// A connection dropped after its server had answered that it throttles the mailbox: the server's throttling words,
/// which <see cref="ProviderLimits"/> reads as the wait to keep.
/// </summary>
public sealed class ThrottledConnectionException(string serverWords, Exception dropped) : IOException(serverWords, dropped);

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

    /// <summary>
    /// Told of each throttling answer the pass waits after (Microsoft's "Request is throttled"): how long it waits, as
    /// the server suggested (see <see cref="ProviderLimits"/>), and the server's words. The pass then resumes from its
    /// checkpoints. Not told to <see cref="OnRetry"/>: throttling is the provider's limit, not a fault.
    /// </summary>
    public Action<TimeSpan, string>? OnThrottled { get; init; }

    /// <summary>
    /// The most connections the pass may hold open at once, both sides together (a provider's cap per mailbox, such as
    /// <see cref="ProviderLimits.Microsoft365MaxConnections"/>, less what the user's own mail clients keep open): the
    /// lanes are lowered to fit, three connections each. At least <see cref="ConnectionsPerLane"/>, one lane. Null: no
    /// cap but <see cref="FoldersAtOnce"/>.
    /// </summary>
    public int? MaxConnections
    {
        get;
        init
        {
            if (value is { } max) ArgumentOutOfRangeException.ThrowIfLessThan(max, ConnectionsPerLane, nameof(MaxConnections));
            field = value;
        }
    }

    /// <summary>What one lane holds open: the source, the destination, and the destination's APPEND writer.</summary>
    public const int ConnectionsPerLane = 3;

    /// <summary>The lanes a pass runs: <see cref="FoldersAtOnce"/>, lowered to fit <see cref="MaxConnections"/>.</summary>
    public int Lanes => MaxConnections is { } max ? Math.Clamp(max / ConnectionsPerLane, 1, Math.Max(1, FoldersAtOnce)) : FoldersAtOnce;

    /// <param name="stop">Ends the pass at the next message boundary, with its progress saved (an admin's Stop, Ctrl+C).</param>
    /// <param name="abort">Ends it at once, saving nothing more (the claim was lost).</param>
    /// <exception cref="MigrationSideException">A side's login was refused or its server unreachable (after the retries).</exception>
    public async Task<PassResult> RunAsync(MigrationSide source, MigrationSide destination, ICheckpointStore checkpoints,
        PassOptions options, CancellationToken stop, CancellationToken abort)
    {
        // A transient fault (a dropped connection, a server restarting) retries the pass with new connections; it
        // resumes from its checkpoints, so what the first attempt copied is neither lost nor copied again.
        var totals = new MailboxPass.PassTotals();
        var pipeline = TransientFaults.Pipeline(retry ?? RetryPolicy.Default, time ?? TimeProvider.System, OnRetry, (wait, words) =>
        {
            lock (totals)
            {
                totals.ThrottledWaits++;
                totals.ThrottledFor += wait;
                totals.LastThrottling = words;
            }
            OnThrottled?.Invoke(wait, words);
        });
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
        catch (Exception e) when (ProviderLimits.Recognise(e) is { Kind: ProviderLimitKind.DailyTransferCap } cap && !abort.IsCancellationRequested)
        {
            // Gmail's daily cap: retrying would only keep the account locked longer. Every batch appended before it is
            // checkpointed (a lane's fault waits for its save), and one cut short is adopted from its journal next time.
            return MailboxPass.Result(totals, stopped: false) with { TransferCapReached = cap.ServerWords };
        }
    }

    private async Task<PassResult> AttemptAsync(MigrationSide source, MigrationSide destination, ICheckpointStore checkpoints,
        PassOptions options, MailboxPass.PassTotals totals, CancellationToken stop, CancellationToken abort)
    {
        var opened = new ConcurrentQueue<ImapSession>();
        try
        {
            await using var lane = await OpenLaneAsync(source, destination, opened, abort, writerWhenNeeded: true);
            return await new MailboxPass(lane, checkpoints)
            {
                Options = options,
                Totals = totals,
                Budget = Budget,
                Lanes = Lanes,
                Time = time ?? TimeProvider.System,
                OpenLane = ct => OpenLaneAsync(source, destination, opened, ct),
            }.RunAsync(stop, abort);
        }
        catch (Exception e) when (ProviderLimits.Recognise(e) is null && TransientFaults.IsTransient(e)
            && opened.Select(s => s.LastThrottling).LastOrDefault(t => t is not null) is { } words)
        {
            // A connection dropped right after its server said it throttles us: MailKit may have kept only the BYE's
            // words (a tagged BAD then a bare BYE, MailKit #849), so the drop is the throttling, and waits as told.
            throw new ThrottledConnectionException(words, e);
        }
    }

    /// <param name="opened">Every reading connection of the attempt, for what their servers said before a drop.</param>
    /// <param name="writerWhenNeeded">Leave the APPEND writer until a folder is copied (the pass's own lane, which a no-change Delta never copies over).</param>
    private async Task<PassLane> OpenLaneAsync(MigrationSide source, MigrationSide destination, ConcurrentQueue<ImapSession> opened,
        CancellationToken ct, bool writerWhenNeeded = false)
    {
        // The logins at once: over a real network each is a TLS handshake and a login, so a pass (a no-change
        // Delta above all) starts after one round of them instead of one after another.
        var from = OpenAsync(source, isSource: true, opened, ct);
        var to = OpenAsync(destination, isSource: false, opened, ct);
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
            return await connector.ConnectAppendWriterAsync(side.Endpoint, await LoginAsync(side, ct), ct);
        }
        catch (ImapConnectException e)
        {
            throw new MigrationSideException(isSource: false, e);
        }
    }

    private async Task<ImapSession> OpenAsync(MigrationSide side, bool isSource, ConcurrentQueue<ImapSession> opened, CancellationToken ct)
    {
        try
        {
            var session = await connector.ConnectAsync(side.Endpoint, await LoginAsync(side, ct), ct);
            opened.Enqueue(session);
            return session;
        }
        catch (ImapConnectException e)
        {
            throw new MigrationSideException(isSource, e);
        }
    }

    /// <summary>Asks the side for the login of one connection; a token that could not be had is worded as the login's failure.</summary>
    private static async Task<ImapLogin> LoginAsync(MigrationSide side, CancellationToken ct)
    {
        try
        {
            return await side.LoginSource(ct);
        }
        catch (AccessTokenException e)
        {
            // Rejected: only the admin can put right a refused app, secret or grant. Unreachable (retried): the provider
            // failed on its side or did not answer.
            throw new ImapConnectException(e.IsTransient ? ImapConnectFailure.Unreachable : ImapConnectFailure.Rejected,
                $"No access token: {e.Message}", e);
        }
    }
}
