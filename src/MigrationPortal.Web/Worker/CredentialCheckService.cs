using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Auth;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Verification;
using MigrationPortal.Web.Mailboxes;
using MigrationPortal.Web.Projects.SignIn;

namespace MigrationPortal.Web.Worker;

/// <summary>The <c>CredentialChecks</c> section: how the background Verify Credentials runs.</summary>
public sealed class CredentialCheckOptions
{
    public const string Section = "CredentialChecks";

    /// <summary>Mailboxes checked at the same time (each check logs in to two servers).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int Concurrency { get; set; } = 4;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a claimed item is this process's; a process that died leaves it to be checked again after.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Works through the mailboxes that Verify Credentials queued on a report: each is claimed (a conditional update with
/// a lease, so a crash leaves it to be checked again and two instances do not check it twice), its stored credentials
/// are tried on both servers, the outcome is recorded on the mailbox through the unit of work, and the report item
/// says what was found. The dashboard shows the report as items finish.
/// </summary>
public sealed partial class CredentialCheckService(
    IServiceScopeFactory scopes,
    CredentialCheckSignal signal,
    TimeProvider time,
    IOptions<CredentialCheckOptions> options,
    ILogger<CredentialCheckService> logger) : PollingWorker(signal, logger)
{
    private readonly CredentialCheckOptions _options = options.Value;

    protected override TimeSpan PollInterval => _options.PollInterval;

    protected override async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        List<long> ids;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var batch = _options.Concurrency * 4;
            ids = await db.ActionReportItems.DueFor(db.ActionReports, MailboxActionService.VerifyCredentials, time.GetUtcNow()).OrderBy(i => i.Id).Select(i => i.Id).Take(batch).ToListAsync(ct);
        }
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = ct },
            async (id, token) =>
            {
                try
                {
                    await CheckAsync(id, token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    LogItemFailed(logger, e, id);
                }
            });
        return ids.Count > 0;
    }

    private async Task CheckAsync(long itemId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        var gate = services.GetRequiredService<DatabaseWriteGate>();

        var now = time.GetUtcNow();
        var lease = TruncateToMilliseconds(now + _options.Lease);
        int claimed;
        using (await gate.EnterAsync(ct))
            claimed = await db.ActionReportItems.Where(i => i.Id == itemId).DueFor(db.ActionReports, MailboxActionService.VerifyCredentials, now)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, ActionItemState.Running).SetProperty(i => i.ClaimedUntil, lease), ct);
        if (claimed != 1) return;

        var item = await db.ActionReportItems.AsNoTracking().SingleAsync(i => i.Id == itemId, ct);
        var actor = await db.ActionReports.Where(r => r.Id == item.ReportId).Select(r => r.Actor).SingleAsync(ct);
        var (applied, reason) = await VerifyAsync(services, item.MailboxId, actor, ct);

        item.Finish(applied, reason, time.GetUtcNow());
        using (await gate.EnterAsync(CancellationToken.None))
            await db.ActionReportItems.Where(i => i.Id == itemId && i.State == ActionItemState.Running && i.ClaimedUntil == lease)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(i => i.State, item.State)
                    .SetProperty(i => i.Reason, item.Reason)
                    .SetProperty(i => i.ClaimedUntil, (DateTimeOffset?)null)
                    .SetProperty(i => i.FinishedAt, item.FinishedAt), CancellationToken.None);
    }

    /// <returns>Whether both servers accepted, and otherwise why not, in the words the report shows.</returns>
    private static async Task<(bool Applied, string? Reason)> VerifyAsync(IServiceProvider services, int mailboxId, string actor, CancellationToken ct)
    {
        var db = services.GetRequiredService<PortalDbContext>();
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, ct);
        if (mailbox is null) return (false, MailboxOutcome.DeletedMeanwhileText);
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == mailbox.ProjectId, ct);
        var tokens = TokenSides.For(project);
        try
        {
            mailbox.EnsureCredentialsCanBeVerified(tokens);
        }
        catch (MailboxTransitionException e)
        {
            return (false, e.Message);
        }
        var checks = await Task.WhenAll(
            CheckSideAsync(services, project, mailbox, MailboxSide.Source, ct),
            CheckSideAsync(services, project, mailbox, MailboxSide.Destination, ct));

        var problems = checks.OfType<string>().ToList();
        var outcomeText = problems.Count == 0 ? "both servers accepted the credentials" : string.Join("; ", problems);
        if (problems.Count == 0 && await CountSourceAsync(services, project, mailbox, ct) is { } inventory)
            outcomeText += "; " + inventory;
        var recorded = await services.GetRequiredService<MailboxUnitOfWork>().RunAsync(mailboxId, null, (work, _) =>
        {
            work.Mailbox.RecordCredentialCheck(outcomeText, actor, work.Now, tokens);
            return Task.CompletedTask;
        }, ct);

        // The servers' answer stands even if the mailbox changed meanwhile; only its line in the history is then missing.
        if (recorded.Kind == MailboxOutcomeKind.Gone) return (false, MailboxOutcome.DeletedMeanwhileText);
        return problems.Count == 0 ? (true, outcomeText) : (false, outcomeText);
    }

    /// <summary>
    /// One side's check: a password side through the verifier (one login, as the user's form makes it); a token side by
    /// getting a token from its provider and logging in with it, so both the app's or service account's authorisation and
    /// the mailbox's grant are tried.
    /// </summary>
    /// <returns>Null when the side was accepted; otherwise what failed, naming the side, in the provider's or server's words.</returns>
    private static async Task<string?> CheckSideAsync(IServiceProvider services, MigrationProject project, Mailbox mailbox, MailboxSide side, CancellationToken ct)
    {
        var name = side == MailboxSide.Source ? "Source" : "Destination";
        var endpoint = side == MailboxSide.Source ? project.Source : project.Destination;
        var credentials = side == MailboxSide.Source ? mailbox.Source : mailbox.Destination;
        if (!project.SignIn(side).UsesTokens)
        {
            var passwords = services.GetRequiredService<IPasswordProtector>();
            return Describe(name, await services.GetRequiredService<IImapCredentialVerifier>()
                .VerifyAsync(endpoint, credentials.LoginName, passwords.Unprotect(credentials.ProtectedPassword!), ct));
        }
        try
        {
            var login = await services.GetRequiredService<SideLogins>().LoginAsync(project, mailbox.Id, side, credentials, ct);
            await using var session = await services.GetRequiredService<IImapConnector>().ConnectAsync(endpoint, login, ct);
            return null;
        }
        catch (AccessTokenException e)
        {
            return e.IsTransient ? $"{name} token endpoint unreachable: {e.Message}" : $"{name} sign-in refused: no access token: {SideLogins.Refusal(project.SignIn(side), true, e.Message)}";
        }
        catch (ImapConnectException e)
        {
            return e.Failure == ImapConnectFailure.Rejected
                ? $"{name} sign-in refused: {SideLogins.Refusal(project.SignIn(side), false, e.Message)}"
                : $"{name} server unreachable: {e.Message}";
        }
        catch (MissingCredentialsException e)
        {
            return e.Message;
        }
    }

    /// <summary>How much mail the pass will find; null (and the check still passes) when the count itself fails.</summary>
    private static async Task<MailboxInventory?> CountSourceAsync(IServiceProvider services, MigrationProject project, Mailbox mailbox, CancellationToken ct)
    {
        try
        {
            var login = await services.GetRequiredService<SideLogins>().LoginAsync(project, mailbox.Id, MailboxSide.Source, mailbox.Source, ct);
            await using var session = await services.GetRequiredService<IImapConnector>().ConnectAsync(project.Source, login, ct);
            return await MailboxInventory.CountAsync(session.Store, ct);
        }
        catch (Exception e) when (e is ImapConnectException or AccessTokenException or MailKit.Net.Imap.ImapCommandException or MailKit.Net.Imap.ImapProtocolException or IOException)
        {
            return null;
        }
    }

    private static string? Describe(string side, CredentialCheckResult check) => check.Outcome switch
    {
        CredentialCheckOutcome.Accepted => null,
        CredentialCheckOutcome.Rejected => $"{side} credentials are incorrect",
        _ => $"{side} server unreachable: {check.ServerMessage}",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Credential check of report item {ItemId} failed; it is tried again when its lease ends")]
    private static partial void LogItemFailed(ILogger logger, Exception exception, long itemId);
}
