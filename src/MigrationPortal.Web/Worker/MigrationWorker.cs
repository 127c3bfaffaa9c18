using System.Collections.Concurrent;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Web.Outbox;
using MigrationPortal.Web.Projects.SignIn;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// Claims Submitted mailboxes (each project's cap and this process's <see cref="MigrationOptions.MaxParallel"/>
/// respected), runs a pass for each in its own DI scope, and settles the outcome through the mailbox unit of work,
/// every write fenced by the claim. A heartbeat renews the claim and carries an admin's Stop to the pass, which ends
/// at the next message boundary. On shutdown a pass ends the same way and the mailbox stays Migrating with its
/// checkpoints: the next start resumes it.
/// </summary>
public sealed partial class MigrationWorker(
    IServiceScopeFactory scopes,
    MigrationSignal signal,
    PassStopSignal stops,
    IImapConnector connector,
    TimeProvider time,
    IOptions<MigrationOptions> options,
    ILogger<MigrationWorker> logger) : PollingWorker(signal, logger)
{
    public const string Engine = "migration engine";

    private readonly MigrationOptions _options = options.Value;

    // One budget for every pass this worker runs: what bounds the process's memory for mail in flight. Not disposed:
    // it holds nothing but counts, and passes ending at shutdown still give their bytes back to it.
    private readonly BufferBudget _budget = new(options.Value.BufferMegabytes * 1024L * 1024);
    private readonly ConcurrentDictionary<int, Task> _running = new();
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override TimeSpan PollInterval => _options.PollInterval;

    protected override bool IsEnabled => _options.Enabled;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        await using (var scope = scopes.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<OrphanedStopSweep>().RunAsync(ct);
        while (_running.Count < _options.MaxParallel)
        {
            Claim? claim;
            await using (var scope = scopes.CreateAsyncScope())
                claim = await scope.ServiceProvider.GetRequiredService<MigrationClaimStore>().TryClaimNextAsync(_owner, _options.Lease, ct);
            if (claim is null) return false;
            _running[claim.MailboxId] = Task.Run(() => RunClaimedAsync(claim, ct), CancellationToken.None);
        }
        return false;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_running.Values);
    }

    private async Task RunClaimedAsync(Claim claim, CancellationToken shutdown)
    {
        try
        {
            await MigrateAsync(claim, shutdown);
        }
        catch (Exception e)
        {
            LogPassCrashed(logger, e, claim.MailboxId);
        }
        finally
        {
            await using (var scope = scopes.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<MigrationClaimStore>().ReleaseAsync(claim, CancellationToken.None);
            _running.TryRemove(claim.MailboxId, out _);
            signal.Notify(); // a slot is free
        }
    }

    private async Task MigrateAsync(Claim claim, CancellationToken shutdown)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        var unitOfWork = services.GetRequiredService<MailboxUnitOfWork>();

        // A Submitted mailbox begins a pass; a Migrating one whose worker died resumes the pass it had.
        var begun = await unitOfWork.RunAsync(claim.MailboxId, null, (work, _) =>
        {
            if (work.Mailbox.Status == MailboxStatus.Submitted) work.Mailbox.BeginPass(work.Now);
            return Task.CompletedTask;
        }, shutdown, claim);
        if (!begun.Applied) return;

        var mailbox = await db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == claim.MailboxId, CancellationToken.None);
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == mailbox.ProjectId, CancellationToken.None);
        // The kind recorded on the pass when it began: a resumed pass goes on as the kind it was started as.
        var running = await db.MigrationPasses.AsNoTracking()
            .SingleAsync(p => p.MailboxId == mailbox.Id && p.Number == mailbox.PassCount, CancellationToken.None);
        var passOptions = new PassOptions
        {
            Kind = running.Kind,
            PreStageBefore = running.PreStageBefore,
            MaxMessageErrors = _options.MaxMessageErrors,
            MaxMessagesPerSecond = project.MaxMessagesPerSecond,
            MaxBytesPerSecond = project.MaxKilobytesPerSecond * 1024L,
        };
        var logins = services.GetRequiredService<SideLogins>();
        var emails = services.GetRequiredService<UserEmails>();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        using var lost = new CancellationTokenSource();
        using var heartbeat = new CancellationTokenSource();
        var beating = HeartbeatAsync(claim, stop, lost, heartbeat.Token);

        FailureReason? failure = null;
        PassResult? result = null;
        var started = time.GetTimestamp();
        var throttlings = new ThrottlingRecorder(scopes, claim, time, logger);
        try
        {
            var migration = new MailboxMigration(connector, new RetryPolicy { MaxRetries = _options.Retries, FirstDelay = _options.RetryDelay }, time)
            {
                Budget = _budget,
                FoldersAtOnce = _options.FoldersAtOnce,
                MaxConnections = ProviderCaps.MaxConnections(project),
                OnRetry = (fault, wait) => LogRetrying(logger, claim.MailboxId, fault.Message, wait),
                OnThrottled = throttlings.Record,
            };
            result = await migration.RunAsync(
                new MigrationSide(project.Source, ct => logins.LoginAsync(project, mailbox.Id, MailboxSide.Source, mailbox.Source, ct)),
                new MigrationSide(project.Destination, ct => logins.LoginAsync(project, mailbox.Id, MailboxSide.Destination, mailbox.Destination, ct)),
                new DatabaseCheckpointStore(db, unitOfWork, services.GetRequiredService<PassProgressWriter>(), claim), passOptions, stop.Token, lost.Token);
        }
        catch (MigrationSideException e)
        {
            // A side that signs in with tokens was refused by its provider or its server: the admin's app, secret or
            // grant is wrong, not a user's password, and the provider's words say which.
            var signIn = e.IsSource ? project.SourceSignIn : project.DestinationSignIn;
            failure = e.Failure == ImapConnectFailure.Rejected
                ? signIn.UsesTokens ? FailureReason.SignInRefused(e.IsSource, SideLogins.Refusal(signIn, e.NoToken, e.Detail))
                : FailureReason.WrongCredentials(e.IsSource, !e.IsSource)
                : e.IsSource ? FailureReason.SourceUnreachable(e.Detail) : FailureReason.DestinationUnreachable(e.Detail);
        }
        catch (MissingCredentialsException e)
        {
            failure = FailureReason.MigrationError(e.Message);
        }
        catch (Exception e) when (e is ImapCommandException or ImapProtocolException or IOException or ServiceNotConnectedException)
        {
            failure = FailureReason.MigrationError(e.Message);
        }
        catch (Exception e) when (e is CheckpointRefusedException || (e is OperationCanceledException && lost.IsCancellationRequested))
        {
            // The claim is gone (or the mailbox): another worker has it, and nothing more is written from here.
            LogClaimLost(logger, claim.MailboxId);
            return;
        }
        finally
        {
            await heartbeat.CancelAsync();
            await beating;
            await throttlings.DrainAsync();
        }

        // Gmail's daily IMAP transfer cap: what was copied is kept (checkpointed); the rest waits for the provider's next day.
        if (result is { TransferCapReached: { } capWords })
            failure = FailureReason.MigrationError(ProviderLimits.DescribeCap(capWords));

        // The engine ended the pass at the batch that went past the limit (the rest of the mailbox was not tried).
        if (result is { TooManyRefused: true, FailedMessages.Count: var refused })
            failure = FailureReason.MigrationError(
                $"The destination refused {refused} messages, more than the {_options.MaxMessageErrors} allowed (Migration:MaxMessageErrors); they are listed on the mailbox's page, and the pass stopped there.");
        if (shutdown.IsCancellationRequested && failure is null)
        {
            LogSuspended(logger, claim.MailboxId);
            return; // stays Migrating: resumed from its checkpoints by the next claim
        }
        var took = result is { Duration: var engineTook } && engineTook > TimeSpan.Zero ? engineTook : time.GetElapsedTime(started);
        var settled = await unitOfWork.RunAsync(claim.MailboxId, null, async (work, token) =>
        {
            if (result is not null && work.Mailbox.Allows(MailboxAction.RecordProgress))
                await RecordTotalsAsync(work, result, took, token);
            var pass = work.Mailbox.Passes.SingleOrDefault(p => p.Outcome == PassOutcome.Running);
            if (failure is { } reason)
            {
                work.Mailbox.Fail(reason, work.Licenses, Engine, work.Now);
                await TellUserAsync(work, emails, completed: false, pass, token);
            }
            else if (result!.Stopped || work.Mailbox.Status == MailboxStatus.Stopping)
            {
                work.Mailbox.Stop(work.Licenses, Engine, work.Now);
            }
            else
            {
                work.Mailbox.CompletePass(work.Licenses, work.Now);
                await TellUserAsync(work, emails, completed: true, pass, token);
            }
        }, CancellationToken.None, claim);
        if (settled.Applied) services.GetRequiredService<OutboxQueue>().Wake();
        LogPassEnded(logger, claim.MailboxId, settled.Kind, result?.MessagesCopied ?? 0, result?.MessagesSkipped ?? 0,
            failure is null ? "" : "; " + failure.Text);
    }

    /// <summary>The pass's totals, on its row before it is settled; what it found, too, if the engine did not report that at its start.</summary>
    /// <remarks>
    /// A pass resumed by this worker after another stopped (a restart, a crash) is still one pass: what the earlier worker
    /// copied is on the pass row already (saved batch by batch) and lies below the checkpoints now, so this worker's
    /// engine found it "already there". It is this pass's work, not skipped; and the pass failed what either worker saw refused.
    /// </remarks>
    private static async Task RecordTotalsAsync(MailboxWork work, PassResult result, TimeSpan took, CancellationToken ct)
    {
        var mailbox = work.Mailbox;
        var pass = mailbox.Passes.Single(p => p.Outcome == PassOutcome.Running);
        if (pass.MessagesFound is null)
            mailbox.RecordInventory(result.Folders, result.MessagesFound, result.BytesFound);
        var refused = await work.Db.FailedMessages.CountAsync(f => f.MailboxId == mailbox.Id && f.PassNumber == pass.Number, ct);
        var failed = Math.Max(refused, result.FailedMessages.Count);
        var copiedEarlier = Math.Max(0, pass.ItemsCopied - result.MessagesCopied);
        var skipped = Math.Max(0, result.MessagesSkipped - copiedEarlier - (failed - result.FailedMessages.Count));
        mailbox.RecordPassTotals(skipped, failed, took,
            new PassNotes(result.FoldersUnchanged, result.FlagsUpdated, result.SizeMismatches, result.NotKept)
            {
                // Core keeps the engine's sentences, not its types.
                ServerFallbacks = [.. result.Fallbacks.Select(f => f.ToString())],
                FoldersRenamed = [.. result.RenamedFolders.Select(r => r.ToString())],
            });
    }

    /// <summary>
    /// A user who gave their credentials through the secure link hears how it ended: the email is saved with the pass's
    /// outcome, once per submission for each kind. A mailbox whose credentials the admin typed has no such user.
    /// </summary>
    private static async Task TellUserAsync(MailboxWork work, UserEmails emails, bool completed, MigrationPass? pass, CancellationToken ct)
    {
        var accepted = await work.Db.CredentialRequests
            .Where(r => r.MailboxId == work.Mailbox.Id && r.AcceptedAt != null)
            .OrderByDescending(r => r.AcceptedAt).FirstOrDefaultAsync(ct);
        if (accepted is not null)
            emails.QueueOutcome(work.Db, work.Mailbox, accepted, await ProjectEmails.LoadAsync(work.Db, work.Mailbox.ProjectId, ct), completed, pass, work.Now);
    }

    /// <summary>
    /// Renews the claim every heartbeat, and at once when a Stop was pressed for some mailbox (<see cref="PassStopSignal"/>);
    /// an admin's Stop of this mailbox cancels <paramref name="stop"/>, a lost claim <paramref name="lost"/>.
    /// </summary>
    private async Task HeartbeatAsync(Claim claim, CancellationTokenSource stop, CancellationTokenSource lost, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.Heartbeat, time);
        try
        {
            // A PeriodicTimer takes one wait at a time: the tick still pending when a Stop woke the loop is kept.
            var tick = timer.WaitForNextTickAsync(ct).AsTask();
            while (true)
            {
                var stopPressed = stops.Next;
                if (await Task.WhenAny(tick, stopPressed) == tick)
                {
                    if (!await tick) return;
                    tick = timer.WaitForNextTickAsync(ct).AsTask();
                }
                ct.ThrowIfCancellationRequested();
                ClaimStanding standing;
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    standing = await scope.ServiceProvider.GetRequiredService<MigrationClaimStore>().RenewAsync(claim, _options.Lease, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // A busy database for one beat is not a lost claim; the next beat tries again within the lease.
                    LogHeartbeatFailed(logger, e, claim.MailboxId);
                    continue;
                }
                if (standing == ClaimStanding.StopRequested) await stop.CancelAsync();
                if (standing == ClaimStanding.Lost)
                {
                    await lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: pass ended ({Outcome}): {Copied} copied, {Skipped} already there{Failure}")]
    private static partial void LogPassEnded(ILogger logger, int mailboxId, MailboxOutcomeKind outcome, int copied, int skipped, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: {Fault}; the pass is retried from its checkpoints in {Wait}")]
    private static partial void LogRetrying(ILogger logger, int mailboxId, string fault, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: pass suspended for shutdown; it resumes from its checkpoints")]
    private static partial void LogSuspended(ILogger logger, int mailboxId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: this worker lost its claim; it stops without writing more")]
    private static partial void LogClaimLost(ILogger logger, int mailboxId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {MailboxId}: heartbeat failed; trying again at the next")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception e, int mailboxId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mailbox {MailboxId}: the pass failed unexpectedly; its claim is released and it is claimed again")]
    private static partial void LogPassCrashed(ILogger logger, Exception e, int mailboxId);
}
