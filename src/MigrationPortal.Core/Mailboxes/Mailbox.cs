using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Licenses;

namespace MigrationPortal.Core.Mailboxes;

/// <summary>
/// A mailbox to move from the project's source server to its destination server, and its lifecycle.
/// Every action is a method that checks the current status and throws <see cref="MailboxTransitionException"/>
/// when the move is not allowed, so a bulk action can report per item and nothing half-applies.
///
/// The methods that touch pending credential requests or the running pass expect those to be loaded
/// (the repository includes pending requests and running passes with the mailbox).
/// </summary>
public sealed class Mailbox
{
    public const int MaxNotifyLength = 254;

    private readonly List<CredentialRequest> _credentialRequests = [];
    private readonly List<MailboxEvent> _events = [];
    private readonly List<MigrationPass> _passes = [];

    private Mailbox()
    {
        Source = null!;
        Destination = null!;
        NotifyEmail = "";
    }

    public Mailbox(int projectId, MailboxCredentials source, MailboxCredentials destination, string notifyEmail, string actor, DateTimeOffset now)
    {
        ProjectId = projectId;
        Source = source;
        Destination = destination;
        NotifyEmail = Validation.EmailAddress(notifyEmail, "notification address");
        Status = MailboxStatus.NotStarted;
        CreatedAt = now;
        _events.Add(new MailboxEvent(now, actor, MailboxStatus.NotStarted, MailboxStatus.NotStarted, "Mailbox added"));
    }

    public int Id { get; private set; }
    public int ProjectId { get; private set; }
    public MailboxCredentials Source { get; private set; }
    public MailboxCredentials Destination { get; private set; }

    /// <summary>Where the mailbox user is emailed the credential link.</summary>
    public string NotifyEmail { get; private set; }

    public MailboxStatus Status { get; private set; }
    private FailureKind? _failureKind;
    private string? _failureDetail;

    public FailureReason? Failure
    {
        get => _failureKind is { } kind ? FailureReason.FromStored(kind, _failureDetail) : null;
        private set
        {
            _failureKind = value?.Kind;
            _failureDetail = value?.Detail;
        }
    }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? StatusChangedAt { get; private set; }

    /// <summary>Why the user's last submission could not be checked (a server unreachable); the link stays valid.</summary>
    public string? VerificationProblem { get; private set; }

    public MailboxLicenseState License { get; private set; }
    public int LicensesConsumed { get; private set; }
    public int PassesOnLicense { get; private set; }
    public long BytesOnLicense { get; private set; }
    public int PassCount { get; private set; }

    /// <summary>The kind of pass the last Start asked for; the next pass the worker begins is of this kind.</summary>
    public PassKind RequestedPassKind { get; private set; }
    public DateTimeOffset? RequestedPreStageBefore { get; private set; }

    /// <summary>Optimistic concurrency: the admin's Stop and the worker's pass cannot overwrite each other.</summary>
    public int Version { get; private set; }

    public IReadOnlyCollection<CredentialRequest> CredentialRequests => _credentialRequests;
    public IReadOnlyCollection<MailboxEvent> Events => _events;
    public IReadOnlyCollection<MigrationPass> Passes => _passes;

    public string Label => LabelFor(Source.Email, Destination.Email);

    /// <summary>How a mailbox is named to admins: its address, or both when they differ.</summary>
    public static string LabelFor(string sourceEmail, string destinationEmail) =>
        sourceEmail == destinationEmail ? sourceEmail : $"{sourceEmail} → {destinationEmail}";

    /// <summary>Whether a password is missing on a side that needs one (sides that log in with tokens need none).</summary>
    public bool NeedsCredentialsFromUser(Projects.TokenSides tokens = default) =>
        AsksSource(tokens) || AsksDestination(tokens);

    private bool AsksSource(Projects.TokenSides tokens) => !Source.IsKnown && !tokens.Source;
    private bool AsksDestination(Projects.TokenSides tokens) => !Destination.IsKnown && !tokens.Destination;

    private MigrationPass? RunningPass => _passes.FirstOrDefault(p => p.Outcome == PassOutcome.Running);

    // ----------------------------------------------------------------- admin actions

    /// <summary>
    /// Start: remembers the kind of pass asked for, holds a license if the item has no usable one (not for Retry Errors,
    /// which is free), then asks the user for unknown credentials or submits the item for migration.
    /// </summary>
    /// <param name="pass">The pass to run; Full when not given.</param>
    /// <param name="failedMessages">How many messages earlier passes could not copy (Retry Errors is refused without any).</param>
    public IssuedCredentialRequest? Start(LicensePool pool, MailboxRules rules, string actor, DateTimeOffset now,
        PassRequest? pass = null, int failedMessages = 0)
    {
        Require(MailboxAction.Start);
        pass ??= PassRequest.Full;
        if (pass.Kind == PassKind.RetryErrors && failedMessages <= 0)
            throw new MailboxTransitionException(PassRequest.NothingToRetryMessage);

        if (pass.UsesLicense && (License == MailboxLicenseState.None || LicenseExhausted(rules.Licenses)))
        {
            var why = License == MailboxLicenseState.None ? "Start" : "Start; the previous license is used up";
            pool.Hold(Id, Label, actor, now, why);
            License = MailboxLicenseState.Held;
            PassesOnLicense = 0;
            BytesOnLicense = 0;
        }

        RequestedPassKind = pass.Kind;
        RequestedPreStageBefore = pass.PreStageBefore;
        RevokeOutstandingRequests(now);
        Failure = null;
        var what = pass.PreStageBefore is { } before ? $"{pass.Kind.ToDisplay()} before {before:yyyy-MM-dd}" : pass.Kind.ToDisplay();

        if (NeedsCredentialsFromUser(rules.Tokens))
        {
            var (request, nonce) = CredentialRequest.Issue(Id, AsksSource(rules.Tokens), AsksDestination(rules.Tokens), now, rules.CredentialLinkLifetime);
            _credentialRequests.Add(request);
            MoveTo(MailboxStatus.WaitingForUser, actor, now, $"Started ({what}); {DescribeMissing(request)} credentials requested from {NotifyEmail}");
            return new IssuedCredentialRequest(request, nonce);
        }

        MoveTo(MailboxStatus.Submitted, actor, now, $"Started ({what}); submitted for migration");
        return null;
    }

    /// <summary>
    /// Stop, first phase, while a worker is copying: the link is revoked and the item is Stopping; the worker ends the
    /// pass at its next message boundary and calls <see cref="Stop"/> with what it really copied, which settles the
    /// license. Nothing is settled here, because the database does not yet know the pass's last messages.
    /// </summary>
    public void RequestStop(string actor, DateTimeOffset now)
    {
        Require(MailboxAction.RequestStop);
        RevokeOutstandingRequests(now);
        MoveTo(MailboxStatus.Stopping, actor, now, "Stop requested; the pass ends at the next message");
    }

    /// <summary>
    /// Stop: revokes the user's link, ends a running pass, and returns a license that has moved no data. For a
    /// Migrating item only when no worker holds it any more (otherwise <see cref="RequestStop"/>), and by the worker
    /// itself to finish a Stopping item.
    /// </summary>
    public void Stop(LicensePool pool, string actor, DateTimeOffset now)
    {
        Require(MailboxAction.Stop);
        RevokeOutstandingRequests(now);
        EndPass(RunningPass, PassOutcome.Stopped, pool, actor, now, "Stopped");
        MoveTo(MailboxStatus.Stopped, actor, now, "Stopped");
    }

    /// <summary>Clear Credentials: forgets the stored password of the chosen sides; the next Start asks the user for them.</summary>
    public void ClearCredentials(bool source, bool destination, string actor, DateTimeOffset now)
    {
        if (!source && !destination)
            throw new DomainValidationException("Choose Clear Source Credentials, Clear Destination Credentials, or both.");
        Require(MailboxAction.ClearCredentials);
        if (source) Source.Clear();
        if (destination) Destination.Clear();
        RevokeOutstandingRequests(now);
        var sides = (source, destination) switch { (true, true) => "Source and destination", (true, _) => "Source", _ => "Destination" };
        MoveTo(Status, actor, now, $"{sides} credentials cleared");
    }

    /// <summary>
    /// The portal's encryption keys were lost and the operator chose to go on without them: the stored passwords of the
    /// sides named can no longer be read and are cleared. An item someone was working on (its user, with a link made
    /// with the lost keys; a worker, with those passwords) is Failed saying so, and Start asks for credentials again.
    /// </summary>
    public void LoseEncryptedSecrets(bool source, bool destination, LicensePool pool, string actor, DateTimeOffset now)
    {
        if (source) Source.Clear();
        if (destination) Destination.Clear();
        if (Allows(MailboxAction.Fail))
            Fail(FailureReason.EncryptionKeysLost(), pool, actor, now);
        else if (source || destination)
            MoveTo(Status, actor, now, "Stored credentials cleared: they were encrypted with keys the portal lost");
    }

    /// <summary>Checks that the item may be deleted and closes its link. The caller removes it; consumed licenses are not returned.</summary>
    public void Delete(DateTimeOffset now)
    {
        Require(MailboxAction.Delete);
        RevokeOutstandingRequests(now);
    }

    /// <summary>Edit: replaces the addresses and credentials. Only for items nobody is working on.</summary>
    public void Edit(MailboxCredentials source, MailboxCredentials destination, string notifyEmail, string actor, DateTimeOffset now)
    {
        Require(MailboxAction.Edit);
        var notify = Validation.EmailAddress(notifyEmail, "notification address");
        Source = source;
        Destination = destination;
        NotifyEmail = notify;
        RevokeOutstandingRequests(now);
        MoveTo(Status, actor, now, "Mailbox edited");
    }

    /// <summary>
    /// Verify Credentials: the stored credentials are checked against both servers by the caller; the item only
    /// records what was found. No data moves, no license is used, and the status stays as it is.
    /// </summary>
    public void RecordCredentialCheck(string outcome, string actor, DateTimeOffset now, Projects.TokenSides tokens = default)
    {
        EnsureCredentialsCanBeVerified(tokens);
        MoveTo(Status, actor, now, $"Verify Credentials: {outcome}");
    }

    public const string CredentialsNotKnownMessage = "Its credentials are not all known: Start it to ask the user for them.";

    /// <summary>Whether Verify Credentials can run now (the same rule <see cref="RecordCredentialCheck"/> enforces).</summary>
    public void EnsureCredentialsCanBeVerified(Projects.TokenSides tokens = default)
    {
        Require(MailboxAction.VerifyCredentials);
        if (NeedsCredentialsFromUser(tokens))
            throw new MailboxTransitionException(CredentialsNotKnownMessage);
    }

    /// <summary>
    /// Resend request: the open link is emailed again, the very link (the first email keeps working), not a new one.
    /// At most one email per <paramref name="interval"/> for a mailbox, whoever asks, so the button cannot flood its user.
    /// </summary>
    /// <returns>The request whose link the caller emails.</returns>
    public CredentialRequest ResendRequest(TimeSpan interval, string actor, DateTimeOffset now)
    {
        var request = RequestToSendAgain(now);
        var allowed = request.ResendAllowedFrom(interval);
        if (now < allowed)
            throw new MailboxTransitionException(
                $"Its link was emailed at {request.LastSentAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; it can be sent again from {allowed.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
        request.RecordResend(now);
        MoveTo(Status, actor, now, $"Credential request sent again to {NotifyEmail} (same link, valid until {request.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC)");
        return request;
    }

    /// <summary>
    /// A reminder, when one is due: the user has not answered for <paramref name="after"/> since the link was last emailed,
    /// and fewer than <paramref name="max"/> reminders went out. Null when none is due (the user answered, an admin
    /// acted, the link expired): reminders stop the moment the item leaves Waiting for User.
    /// </summary>
    public CredentialRequest? RemindUser(TimeSpan after, int max, DateTimeOffset now)
    {
        if (!Allows(MailboxAction.RemindUser)) return null;
        var request = _credentialRequests.SingleOrDefault(r => r.State == CredentialRequestState.Pending);
        if (request is null || !request.IsUsable(now) || request.ProtectedToken is null
            || request.RemindersSent >= max || now < request.LastSentAt + after)
            return null;
        request.RecordReminder(now);
        MoveTo(Status, "reminders", now, $"Reminder {request.RemindersSent} of {max} sent to {NotifyEmail} (same link)");
        return request;
    }

    private CredentialRequest RequestToSendAgain(DateTimeOffset now)
    {
        Require(MailboxAction.RemindUser);
        var request = _credentialRequests.SingleOrDefault(r => r.IsOutstanding)
            ?? throw new MailboxTransitionException("It has no open link: Stop it, then Start it to send a new one.");
        if (request.State == CredentialRequestState.Verifying && !request.IsUsable(now))
            throw new MailboxTransitionException("Its user is submitting credentials at this moment.");
        if (!request.IsUsable(now))
            throw new MailboxTransitionException(now >= request.ExpiresAt
                ? $"Its link expired at {request.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC: Stop it, then Start it to send a new one."
                : "Its link has been tried too often: Stop it, then Start it to send a new one.");
        if (request.ProtectedToken is null)
            throw new MailboxTransitionException("Its link was made by an earlier version of the portal, which did not keep it: Stop it, then Start it to send a new one.");
        return request;
    }

    // ----------------------------------------------------------------- the user's link and the engine

    /// <summary>
    /// The user's credentials were accepted by both servers: they are kept (as ciphertext) and the item is submitted.
    /// A side the user already signed in to at its provider (<see cref="RecordSignIn"/>) is left as it is (null here).
    /// </summary>
    public void AcceptCredentials(CredentialRequest request, (string Login, string ProtectedPassword)? source,
        (string Login, string ProtectedPassword)? destination, DateTimeOffset now)
    {
        Require(MailboxAction.SubmitCredentials);
        // Everything is checked before the one-time link is used, so a refused answer leaves it pending.
        if (request.AsksSource ? source is null && !Source.IsKnown : source is not null)
            throw new ArgumentException(request.AsksSource ? "The source credentials were requested." : "The source credentials were not requested.", nameof(source));
        if (request.AsksDestination ? destination is null && !Destination.IsKnown : destination is not null)
            throw new ArgumentException(request.AsksDestination ? "The destination credentials were requested." : "The destination credentials were not requested.", nameof(destination));
        var sourceLogin = source is { } s ? Validation.RequiredLogin(s.Login) : null;
        var destinationLogin = destination is { } d ? Validation.RequiredLogin(d.Login) : null;
        UseRequest(request, now, accepted: true);
        if (sourceLogin is not null) Source.Set(sourceLogin, source!.Value.ProtectedPassword);
        if (destinationLogin is not null) Destination.Set(destinationLogin, destination!.Value.ProtectedPassword);
        MoveTo(MailboxStatus.Submitted, "mailbox user", now, "Credentials verified; submitted for migration");
    }

    /// <summary>
    /// The user signed in at a side's provider through the link ("Sign in with Microsoft / Google") and the mailbox opened
    /// with the token: the account and its grant (as ciphertext) are kept for that side. The link stays open while
    /// another side still waits for the user's answer; <see cref="AcceptCredentials"/> then uses it.
    /// </summary>
    /// <param name="account">Who signed in, as the provider names the account: the side's login from now on.</param>
    /// <param name="protectedGrant">The grant tokens come from (a refresh token), ciphertext from <see cref="IPasswordProtector"/>.</param>
    public void RecordSignIn(CredentialRequest request, MailboxSide side, string account, string protectedGrant, string provider, DateTimeOffset now)
    {
        Require(MailboxAction.SubmitCredentials);
        if (request.MailboxId != Id || !(request.State == CredentialRequestState.Verifying || request.IsUsable(now)))
            throw new MailboxTransitionException("This credential request is no longer valid.");
        if (!(side == MailboxSide.Source ? request.AsksSource : request.AsksDestination))
            throw new ArgumentException($"The {side.ToString().ToLowerInvariant()} credentials were not requested.", nameof(side));
        ArgumentException.ThrowIfNullOrEmpty(protectedGrant);
        (side == MailboxSide.Source ? Source : Destination).Set(account, protectedGrant);
        MoveTo(Status, "mailbox user", now, $"Signed in with {provider} as {account} ({side.ToString().ToLowerInvariant()})");
    }

    /// <summary>
    /// The user signed in as the mailbox's account, but the mailbox refused the provider's token (IMAP switched off for
    /// the user, the app's delegated permission missing): the link is used up and the item fails in the server's words,
    /// which only the admin can act on.
    /// </summary>
    public void RejectSignIn(CredentialRequest request, MailboxSide side, string words, LicensePool pool, DateTimeOffset now)
    {
        Require(MailboxAction.SubmitCredentials);
        UseRequest(request, now, accepted: false);
        Fail(FailureReason.SignInRefused(side == MailboxSide.Source, words), pool, "mailbox user", now);
    }

    /// <summary>Whether every side the request asks for is answered by a sign-in already, so nothing is left to type.</summary>
    public bool AnsweredBySignIns(CredentialRequest request) =>
        (!request.AsksSource || Source.IsKnown) && (!request.AsksDestination || Destination.IsKnown);

    /// <summary>A server refused the user's credentials: the link is used up and the item fails, saying which side was wrong.</summary>
    public void RejectCredentials(CredentialRequest request, bool sourceWrong, bool destinationWrong, LicensePool pool, DateTimeOffset now)
    {
        Require(MailboxAction.SubmitCredentials);
        var reason = FailureReason.WrongCredentials(sourceWrong, destinationWrong);
        UseRequest(request, now, accepted: false);
        Fail(reason, pool, "mailbox user", now);
    }

    public void BeginPass(DateTimeOffset now)
    {
        Require(MailboxAction.BeginPass);
        PassCount++;
        _passes.Add(new MigrationPass(PassCount, now, RequestedPassKind, RequestedPreStageBefore));
        MoveTo(MailboxStatus.Migrating, "migration engine", now, $"Pass {PassCount} ({RequestedPassKind.ToDisplay()}) started");
    }

    /// <summary>What the running pass found on the source, before copying; like progress, it leaves the mailbox's version alone.</summary>
    public void RecordInventory(int folders, int messages, long bytes)
    {
        Require(MailboxAction.RecordProgress);
        (RunningPass ?? throw new InvalidOperationException("No pass is running.")).RecordInventory(folders, messages, bytes);
    }

    /// <summary>The running pass's totals, recorded by the worker just before it settles the pass (Completed, Stopped or Failed).</summary>
    public void RecordPassTotals(int skipped, int failed, TimeSpan duration, PassNotes? notes = null)
    {
        Require(MailboxAction.RecordProgress);
        (RunningPass ?? throw new InvalidOperationException("No pass is running.")).RecordTotals(skipped, failed, duration, notes);
    }

    /// <summary>
    /// Adds to the running pass's counts. The pass is its own row and the mailbox's version is left alone, so an admin's
    /// Stop never loses a race to a progress save (the worker's writes are fenced by its claim instead).
    /// </summary>
    public void RecordProgress(int items, long bytes)
    {
        Require(MailboxAction.RecordProgress);
        (RunningPass ?? throw new InvalidOperationException("No pass is running.")).AddProgress(items, bytes);
    }

    /// <summary>A pass finished: a pass that moved data consumes the held license; one that moved nothing gives it back.</summary>
    public void CompletePass(LicensePool pool, DateTimeOffset now)
    {
        Require(MailboxAction.CompletePass);
        var pass = RunningPass ?? throw new InvalidOperationException("No pass is running.");
        EndPass(pass, PassOutcome.Completed, pool, "migration engine", now, $"Pass {pass.Number} completed");
        MoveTo(MailboxStatus.Completed, "migration engine", now, $"Pass {pass.Number} completed: {pass.ItemsCopied} items, {pass.BytesCopied} bytes");
    }

    /// <summary>Fail: the item stops with a reason; a license that moved no data goes back to the pool.</summary>
    public void Fail(FailureReason reason, LicensePool pool, string actor, DateTimeOffset now)
    {
        Require(MailboxAction.Fail);
        RevokeOutstandingRequests(now);
        EndPass(RunningPass, PassOutcome.Failed, pool, actor, now, $"Failed: {reason.Text}");
        Failure = reason;
        MoveTo(MailboxStatus.Failed, actor, now, reason.Text);
    }

    // ----------------------------------------------------------------- rules

    public bool Allows(MailboxAction action) => MailboxTransitions.IsAllowed(Status, action);

    private void Require(MailboxAction action)
    {
        if (!Allows(action))
            throw new MailboxTransitionException(MailboxTransitions.RefusalMessage(Status, action));
    }

    private bool LicenseExhausted(LicensePolicy policy) =>
        License == MailboxLicenseState.Consumed
        && (PassesOnLicense >= policy.MaxPassesPerLicense || BytesOnLicense >= policy.MaxBytesPerLicense);

    /// <summary>
    /// Ends the running pass, if any, and settles the license: a pass that moved data consumes a held license,
    /// and every pass that ends on a consumed license counts against what that license covers, however it ended.
    /// A Retry Errors pass never holds one and is not counted: it is free.
    /// </summary>
    private void EndPass(MigrationPass? pass, PassOutcome outcome, LicensePool pool, string actor, DateTimeOffset now, string why)
    {
        pass?.End(outcome, now);
        SettleHeldLicense(pool, pass, actor, now, why);
        if (pass is { UsesLicense: true } && License == MailboxLicenseState.Consumed)
        {
            PassesOnLicense++;
            BytesOnLicense += pass.BytesCopied;
        }
    }

    /// <summary>A held license becomes consumed once its pass moved data; otherwise it goes back to the pool.</summary>
    private void SettleHeldLicense(LicensePool pool, MigrationPass? pass, string actor, DateTimeOffset now, string why)
    {
        if (License != MailboxLicenseState.Held) return;
        if (pass is { MovedData: true })
        {
            pool.Consume(Id, Label, actor, now, why);
            License = MailboxLicenseState.Consumed;
            LicensesConsumed++;
        }
        else
        {
            pool.Return(Id, Label, actor, now, $"{why}; no data was moved");
            License = MailboxLicenseState.None;
        }
    }

    /// <summary>
    /// A server could not be reached while checking the user's credentials: that is not a wrong password, so the
    /// item keeps waiting, shows the server's answer, and the same link can be used again.
    /// </summary>
    /// <param name="reachedTypedServer">Whether a server the user typed credentials for was reached; if not, the attempt is not counted.</param>
    public void RecordUnreachable(CredentialRequest request, FailureReason reason, bool reachedTypedServer, DateTimeOffset now)
    {
        Require(MailboxAction.SubmitCredentials);
        if (request.MailboxId != Id || request.State != CredentialRequestState.Verifying)
            throw new MailboxTransitionException("This credential request is not being verified.");
        request.ReleaseVerification(refundAttempt: !reachedTypedServer);
        VerificationProblem = reason.Text;
        MoveTo(Status, "mailbox user", now, $"Credentials could not be checked: {reason.Text}");
    }

    private void UseRequest(CredentialRequest request, DateTimeOffset now, bool accepted)
    {
        var valid = request.MailboxId == Id
            && (request.State == CredentialRequestState.Verifying || request.IsUsable(now));
        if (!valid)
            throw new MailboxTransitionException("This credential request is no longer valid.");
        request.MarkUsed(now, accepted);
    }

    private void RevokeOutstandingRequests(DateTimeOffset now)
    {
        foreach (var request in _credentialRequests)
            request.Revoke(now);
    }

    private static string DescribeMissing(CredentialRequest request) => (request.AsksSource, request.AsksDestination) switch
    {
        (true, true) => "source and destination",
        (true, false) => "source",
        _ => "destination",
    };

    private void MoveTo(MailboxStatus to, string actor, DateTimeOffset now, string description)
    {
        if (to != Status) VerificationProblem = null;
        _events.Add(new MailboxEvent(now, actor, Status, to, description));
        if (to != Status) StatusChangedAt = now;
        Status = to;
        Version++;
    }
}
