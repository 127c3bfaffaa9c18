using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.CredentialRequests;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Engine.Verification;

namespace MigrationPortal.Web.Access;

/// <summary>What the secure form shows: the project, the mailbox, and only the credentials that are missing.</summary>
public sealed record AccessForm(
    string ProjectName,
    string SourceEmail,
    string DestinationEmail,
    bool AsksSource,
    bool AsksDestination,
    string SourceLogin,
    string DestinationLogin,
    DateTimeOffset ExpiresAt)
{
    /// <summary>Null: the source is asked as a login and password. Otherwise the user signs in at the provider.</summary>
    public UserSignInView? SourceSignIn { get; init; }

    /// <inheritdoc cref="SourceSignIn"/>
    public UserSignInView? DestinationSignIn { get; init; }

    /// <summary>Whether a side is asked as a login and password, so the form has fields and a Submit button.</summary>
    public bool AsksPassword(MailboxSide side) => side == MailboxSide.Source ? AsksSource && SourceSignIn is null : AsksDestination && DestinationSignIn is null;
}

/// <summary>A side the user answers by signing in at its provider: which one, and who signed in already (null: nobody yet).</summary>
public sealed record UserSignInView(string Provider, string? SignedInAs);

public enum SubmissionOutcome
{
    /// <summary>The link is tampered, expired, used, revoked or its item is gone: the neutral page.</summary>
    LinkInvalid,
    Accepted,
    Rejected,
    Unreachable,

    /// <summary>A side the user answers by signing in at its provider was submitted without that sign-in: nothing changed.</summary>
    SignInMissing,
}

public sealed record SubmissionResult(SubmissionOutcome Outcome, bool SourceRejected = false, bool DestinationRejected = false, string? Problem = null)
{
    public static SubmissionResult Invalid { get; } = new(SubmissionOutcome.LinkInvalid);
    public static SubmissionResult SignInMissing { get; } = new(SubmissionOutcome.SignInMissing);
}

/// <summary>A link's request whose side is answered by signing in at the provider, as it was when the sign-in began.</summary>
public sealed record SignInTarget(CredentialRequest Request, Mailbox Mailbox, MigrationPortal.Core.Projects.MigrationProject Project);

public enum SignInRecorded
{
    /// <summary>The link or mailbox changed meanwhile (used, stopped, deleted): the neutral page.</summary>
    LinkInvalid,
    /// <summary>Kept for its side; another side still waits for the user's answer on the form.</summary>
    SignedIn,
    /// <summary>Nothing else was asked: the link is used and the mailbox submitted.</summary>
    Submitted,
    /// <summary>The mailbox refused the provider's token: the link is used and the mailbox failed.</summary>
    Refused,
}

/// <summary>The submitted credentials; a side the link does not ask for is ignored.</summary>
public sealed record SubmittedCredentials(string? SourceLogin, string? SourcePassword, string? DestinationLogin, string? DestinationPassword);

/// <summary>
/// The secure link's two moves. Opening it only reads. Submitting it claims the request with one conditional
/// update (so concurrent submissions verify once), checks both sides against the real IMAP servers, and moves
/// the item on: Submitted when both accept, Failed naming the wrong side, or still waiting when a server is
/// unreachable (the link then stays valid).
/// </summary>
public sealed partial class CredentialAccessService(
    PortalDbContext db,
    CredentialLinks links,
    IPasswordProtector passwords,
    IImapCredentialVerifier verifier,
    MailboxUnitOfWork unitOfWork,
    DatabaseWriteGate gate,
    Worker.MigrationSignal migrations,
    TimeProvider time,
    Security.AuditLog audit,
    ILogger<CredentialAccessService> logger)
{
    /// <summary>Long enough for both IMAP checks; a claim left by a crashed process lapses after it.</summary>
    public static readonly TimeSpan VerificationLease = TimeSpan.FromMinutes(2);

    /// <param name="countOpening">A GET or HEAD of the link: counted for the admin (opened or not, how often), never using it up.</param>
    public async Task<AccessForm?> OpenAsync(string? token, CancellationToken ct, bool countOpening = false)
    {
        var request = await FindUsableAsync(token, ct);
        if (request is null) return null;
        if (countOpening) await CountOpeningAsync(request.Id, ct);
        var item = await db.Mailboxes.AsNoTracking()
            .Where(m => m.Id == request.MailboxId && m.Status == MailboxStatus.WaitingForUser)
            .Join(db.Projects, m => m.ProjectId, p => p.Id, (m, p) => new { Mailbox = m, ProjectName = p.Name, p.SourceSignIn, p.DestinationSignIn })
            .SingleOrDefaultAsync(ct);
        if (item is null) return null;
        var m = item.Mailbox;
        return new AccessForm(item.ProjectName, m.Source.Email, m.Destination.Email, request.AsksSource, request.AsksDestination,
            m.Source.LoginName, m.Destination.LoginName, request.ExpiresAt)
        {
            SourceSignIn = request.AsksSource && item.SourceSignIn.IsDelegated
                ? new UserSignInView(item.SourceSignIn.ProviderName, m.Source.IsKnown ? m.Source.LoginName : null) : null,
            DestinationSignIn = request.AsksDestination && item.DestinationSignIn.IsDelegated
                ? new UserSignInView(item.DestinationSignIn.ProviderName, m.Destination.IsKnown ? m.Destination.LoginName : null) : null,
        };
    }

    /// <summary>What the user is told when a server could not be reached; the detail (host, socket error) is the admin's.</summary>
    public const string UnreachableText =
        "Your credentials could not be checked right now because a mail server did not answer. Nothing was used up: try again later with the same link.";

    public async Task<SubmissionResult> SubmitAsync(string? token, SubmittedCredentials submitted, CancellationToken ct)
    {
        var found = await FindUsableAsync(token, ct);
        if (found is null) return SubmissionResult.Invalid;
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == found.MailboxId, ct);
        if (mailbox is null || mailbox.Status != MailboxStatus.WaitingForUser)
            return SubmissionResult.Invalid;
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == mailbox.ProjectId, ct);

        // A side that signs in with tokens is not the user's to answer for: it is left to the pass (and the admin's Verify
        // Credentials), so a provider's hiccup never uses up the user's link. (Nor is a side whose password the admin
        // cleared, or whose sign-in was changed, while the link was out: the pass then fails saying it.) A side the user
        // answers by signing in at its provider was checked when they signed in; one not signed in yet is refused whole.
        var typesSource = found.AsksSource && !project.SourceSignIn.IsDelegated;
        var typesDestination = found.AsksDestination && !project.DestinationSignIn.IsDelegated;
        if ((found.AsksSource && !typesSource && !mailbox.Source.IsKnown) || (found.AsksDestination && !typesDestination && !mailbox.Destination.IsKnown))
            return SubmissionResult.SignInMissing;
        if (!await TryClaimAsync(found.Id, ct))
            return SubmissionResult.Invalid;
        // Once claimed, finish even if the browser goes away, so the link is not left half-used until the lease lapses.
        ct = CancellationToken.None;
        var source = typesSource
            ? new SideCredentials(submitted.SourceLogin!, submitted.SourcePassword!)
            : project.SourceSignIn.UsesTokens || !mailbox.Source.IsKnown ? null
            : new SideCredentials(mailbox.Source.LoginName, passwords.Unprotect(mailbox.Source.ProtectedPassword!));
        var destination = typesDestination
            ? new SideCredentials(submitted.DestinationLogin!, submitted.DestinationPassword!)
            : project.DestinationSignIn.UsesTokens || !mailbox.Destination.IsKnown ? null
            : new SideCredentials(mailbox.Destination.LoginName, passwords.Unprotect(mailbox.Destination.ProtectedPassword!));
        // The servers are asked outside any transaction; the answer is then applied to the mailbox as it is by then.
        var check = await verifier.CheckBothAsync(project.Source, source, project.Destination, destination, ct);

        SubmissionResult? result = null;
        var outcome = await unitOfWork.RunAsync(mailbox.Id, null, async (work, token) =>
        {
            var m = work.Mailbox;
            var request = m.CredentialRequests.SingleOrDefault(r => r.Id == found.Id)
                ?? throw new MailboxTransitionException("This credential request is no longer valid.");
            if (check.AnyRejected)
            {
                m.RejectCredentials(request, check.SourceRejected, check.DestinationRejected, work.Licenses, work.Now);
                result = new SubmissionResult(SubmissionOutcome.Rejected, check.SourceRejected, check.DestinationRejected);
            }
            else if (check.AnyUnreachable)
            {
                var reason = check.Source.Outcome == CredentialCheckOutcome.Unreachable
                    ? FailureReason.SourceUnreachable(check.Source.ServerMessage ?? "no answer")
                    : FailureReason.DestinationUnreachable(check.Destination.ServerMessage ?? "no answer");
                m.RecordUnreachable(request, reason, ReachedTypedServer(found, check), work.Now);
                result = new SubmissionResult(SubmissionOutcome.Unreachable, Problem: UnreachableText);
            }
            else
            {
                m.AcceptCredentials(request,
                    typesSource ? (source!.Login, passwords.Protect(source.Password)) : null,
                    typesDestination ? (destination!.Login, passwords.Protect(destination.Password)) : null,
                    work.Now);
                result = new SubmissionResult(SubmissionOutcome.Accepted);
            }
            if (result!.Outcome != SubmissionOutcome.Unreachable)
                await CancelUnsentAsync(work, token);
        }, ct);

        if (!outcome.Applied || result is null)
        {
            // The admin stopped, changed or deleted the item while its servers were being asked: their action wins.
            LogOvertaken(logger, mailbox.Id, outcome.Kind);
            return SubmissionResult.Invalid;
        }
        LogSubmitted(logger, mailbox.Id, result.Outcome);
        await audit.RecordAsync("Credentials submitted", $"mailbox {mailbox.Id}: {mailbox.Label}", result.Outcome switch
        {
            SubmissionOutcome.Accepted => "accepted by both servers; the mailbox is submitted",
            SubmissionOutcome.Rejected => Security.AuditLog.Rejected(result.SourceRejected, result.DestinationRejected),
            _ => "a server could not be reached; the link stays valid",
        }, ct, actor: "the mailbox's user");
        if (result.Outcome == SubmissionOutcome.Accepted) migrations.Notify();
        return result;
    }

    /// <summary>The link is used: a request, reminder or resend still waiting to go out would only ask again.</summary>
    private static async Task CancelUnsentAsync(MailboxWork work, CancellationToken ct)
    {
        foreach (var unsent in await work.Db.OutboxMessages.Where(o => o.MailboxId == work.Mailbox.Id && o.State == OutboxState.Pending).ToListAsync(ct))
            unsent.Cancel("Not sent: the user answered through the link before it went out.");
    }

    /// <summary>
    /// The request a link names, with its mailbox and project, when <paramref name="side"/> is one the link asks for and
    /// the user answers it by signing in at the side's provider; null otherwise (the neutral page). Only reads.
    /// </summary>
    public async Task<SignInTarget?> FindSignInTargetAsync(string? token, MailboxSide side, CancellationToken ct)
    {
        var request = await FindUsableAsync(token, ct);
        if (request is null || !(side == MailboxSide.Source ? request.AsksSource : request.AsksDestination)) return null;
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == request.MailboxId && m.Status == MailboxStatus.WaitingForUser, ct);
        if (mailbox is null) return null;
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == mailbox.ProjectId, ct);
        return project.SignIn(side).IsDelegated ? new SignInTarget(request, mailbox, project) : null;
    }

    /// <summary>
    /// The user signed in at a side's provider as the mailbox's account: the grant is kept for that side, and when no
    /// other side waits for an answer the link is used and the mailbox submitted. Given <paramref name="refusal"/> (the
    /// mailbox refused the provider's token), the link is used and the mailbox fails saying so instead.
    /// </summary>
    /// <param name="protectedGrant">The grant as ciphertext.</param>
    public async Task<SignInRecorded> RecordSignInAsync(SignInTarget target, MailboxSide side, string account, string protectedGrant,
        string? refusal, CancellationToken ct)
    {
        // Once the provider answered, finish even if the browser goes away: the code it sent cannot be redeemed twice.
        ct = CancellationToken.None;
        var provider = target.Project.SignIn(side).ProviderName;
        var recorded = SignInRecorded.LinkInvalid;
        var outcome = await unitOfWork.RunAsync(target.Mailbox.Id, null, async (work, token) =>
        {
            var m = work.Mailbox;
            var request = m.CredentialRequests.SingleOrDefault(r => r.Id == target.Request.Id)
                ?? throw new MailboxTransitionException("This credential request is no longer valid.");
            if (refusal is not null)
            {
                m.RejectSignIn(request, side, refusal, work.Licenses, work.Now);
                recorded = SignInRecorded.Refused;
            }
            else
            {
                m.RecordSignIn(request, side, account, protectedGrant, provider, work.Now);
                recorded = SignInRecorded.SignedIn;
                if (m.AnsweredBySignIns(request))
                {
                    m.AcceptCredentials(request, null, null, work.Now);
                    recorded = SignInRecorded.Submitted;
                }
            }
            if (recorded != SignInRecorded.SignedIn)
                await CancelUnsentAsync(work, token);
        }, ct);

        if (!outcome.Applied)
        {
            LogOvertaken(logger, target.Mailbox.Id, outcome.Kind);
            return SignInRecorded.LinkInvalid;
        }
        LogSignedIn(logger, target.Mailbox.Id, side, recorded);
        await audit.RecordAsync($"Signed in with {provider}", $"mailbox {target.Mailbox.Id}: {target.Mailbox.Label}", recorded switch
        {
            SignInRecorded.Submitted => $"{side.ToString().ToLowerInvariant()} as {account}; the mailbox is submitted",
            SignInRecorded.Refused => $"{side.ToString().ToLowerInvariant()} as {account}, but the mailbox refused the token; the mailbox failed",
            _ => $"{side.ToString().ToLowerInvariant()} as {account}; waiting for the rest of the form",
        }, ct, actor: "the mailbox's user");
        if (recorded == SignInRecorded.Submitted) migrations.Notify();
        return recorded;
    }

    /// <summary>Whether a server the user typed credentials for answered; an outage there costs the link no attempt.</summary>
    private static bool ReachedTypedServer(CredentialRequest request, MailboxCredentialCheck check) =>
        (request.AsksSource && check.Source.Outcome != CredentialCheckOutcome.Unreachable)
        || (request.AsksDestination && check.Destination.Outcome != CredentialCheckOutcome.Unreachable);

    /// <summary>The request the token names, if its nonce matches and it is still open; never changes anything.</summary>
    private async Task<CredentialRequest?> FindUsableAsync(string? token, CancellationToken ct)
    {
        if (!links.TryRead(token, out var id, out var nonce)) return null;
        var request = await db.CredentialRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        return request is not null && request.Matches(nonce) && request.IsUsable(time.GetUtcNow()) ? request : null;
    }

    /// <summary>One statement, so concurrent openings all count; a busy database costs the count, never the page.</summary>
    private async Task CountOpeningAsync(Guid id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        try
        {
            using (await gate.EnterAsync(ct))
                await db.CredentialRequests.Where(r => r.Id == id).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Opens, r => r.Opens + 1)
                    .SetProperty(r => r.FirstOpenedAt, r => r.FirstOpenedAt ?? now), ct);
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            LogOpeningNotCounted(logger, id);
        }
    }

    private async Task<bool> TryClaimAsync(Guid id, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
            return await CredentialRequestClaims.TryClaimAsync(db, id, time.GetUtcNow(), VerificationLease, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Credential request {RequestId}: an opening was not counted (the database was busy)")]
    private static partial void LogOpeningNotCounted(ILogger logger, Guid requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {MailboxId}: its user signed in for the {Side} side: {Outcome}")]
    private static partial void LogSignedIn(ILogger logger, int mailboxId, MailboxSide side, SignInRecorded outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Credentials submitted for mailbox {MailboxId}: {Outcome}")]
    private static partial void LogSubmitted(ILogger logger, int mailboxId, SubmissionOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Credentials for mailbox {MailboxId} were checked, but the item could not take the answer ({Outcome}): an admin changed it meanwhile")]
    private static partial void LogOvertaken(ILogger logger, int mailboxId, MailboxOutcomeKind outcome);
}
