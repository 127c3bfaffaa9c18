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
    DateTimeOffset ExpiresAt);

public enum SubmissionOutcome
{
    /// <summary>The link is tampered, expired, used, revoked or its item is gone: the neutral page.</summary>
    LinkInvalid,
    Accepted,
    Rejected,
    Unreachable,
}

public sealed record SubmissionResult(SubmissionOutcome Outcome, bool SourceRejected = false, bool DestinationRejected = false, string? Problem = null)
{
    public static SubmissionResult Invalid { get; } = new(SubmissionOutcome.LinkInvalid);
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
            .Join(db.Projects, m => m.ProjectId, p => p.Id, (m, p) => new { Mailbox = m, ProjectName = p.Name })
            .SingleOrDefaultAsync(ct);
        if (item is null) return null;
        var m = item.Mailbox;
        return new AccessForm(item.ProjectName, m.Source.Email, m.Destination.Email, request.AsksSource, request.AsksDestination,
            m.Source.LoginName, m.Destination.LoginName, request.ExpiresAt);
    }

    /// <summary>What the user is told when a server could not be reached; the detail (host, socket error) is the admin's.</summary>
    public const string UnreachableText =
        "Your credentials could not be checked right now because a mail server did not answer. Nothing was used up: try again later with the same link.";

    public async Task<SubmissionResult> SubmitAsync(string? token, SubmittedCredentials submitted, CancellationToken ct)
    {
        var found = await FindUsableAsync(token, ct);
        if (found is null || !await TryClaimAsync(found.Id, ct))
            return SubmissionResult.Invalid;
        // Once claimed, finish even if the browser goes away, so the link is not left half-used until the lease lapses.
        ct = CancellationToken.None;

        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == found.MailboxId, ct);
        if (mailbox is null || mailbox.Status != MailboxStatus.WaitingForUser)
            return SubmissionResult.Invalid;
        var project = await db.Projects.AsNoTracking().SingleAsync(p => p.Id == mailbox.ProjectId, ct);

        // A side that signs in with tokens is not the user's to answer for: it is left to the pass (and the admin's Verify
        // Credentials), so a provider's hiccup never uses up the user's link. (Nor is a side whose password the admin
        // cleared, or whose sign-in was changed, while the link was out: the pass then fails saying it.)
        var source = found.AsksSource
            ? new SideCredentials(submitted.SourceLogin!, submitted.SourcePassword!)
            : project.SourceSignIn.UsesTokens || !mailbox.Source.IsKnown ? null
            : new SideCredentials(mailbox.Source.LoginName, passwords.Unprotect(mailbox.Source.ProtectedPassword!));
        var destination = found.AsksDestination
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
                    found.AsksSource ? (source!.Login, passwords.Protect(source.Password)) : null,
                    found.AsksDestination ? (destination!.Login, passwords.Protect(destination.Password)) : null,
                    work.Now);
                result = new SubmissionResult(SubmissionOutcome.Accepted);
            }
            if (result!.Outcome != SubmissionOutcome.Unreachable)
            {
                // The link is used: a request, reminder or resend still waiting to go out would only ask again.
                foreach (var unsent in await work.Db.OutboxMessages.Where(o => o.MailboxId == m.Id && o.State == OutboxState.Pending).ToListAsync(token))
                    unsent.Cancel("Not sent: the user answered through the link before it went out.");
            }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Credentials submitted for mailbox {MailboxId}: {Outcome}")]
    private static partial void LogSubmitted(ILogger logger, int mailboxId, SubmissionOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Credentials for mailbox {MailboxId} were checked, but the item could not take the answer ({Outcome}): an admin changed it meanwhile")]
    private static partial void LogOvertaken(ILogger logger, int mailboxId, MailboxOutcomeKind outcome);
}
