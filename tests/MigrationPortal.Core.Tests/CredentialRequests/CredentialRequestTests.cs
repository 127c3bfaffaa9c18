using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests.CredentialRequests;

public sealed class CredentialRequestTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(48);
    private static readonly MailboxRules TwoDayLinks = new(LicensePolicy.Default, Lifetime);

    // ----------------------------------------------------------------- issuing

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Start_SideUnknown_WaitsForUserAndAsksExactlyThatSide(bool sourceKnown, bool destinationKnown)
    {
        var scenario = new MailboxScenario(rules: TwoDayLinks);
        var mailbox = scenario.NewMailbox(sourceKnown, destinationKnown);

        var issued = scenario.Start(mailbox);

        Assert.NotNull(issued);
        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Same(issued.Request, Assert.Single(mailbox.CredentialRequests));
        Assert.Equal(!sourceKnown, issued.Request.AsksSource);
        Assert.Equal(!destinationKnown, issued.Request.AsksDestination);
        Assert.Equal(mailbox.Id, issued.Request.MailboxId);
        Assert.Equal(CredentialRequestState.Pending, issued.Request.State);
        Assert.Equal(scenario.Now, issued.Request.CreatedAt);
    }

    [Fact]
    public void Start_BothSidesKnown_SubmitsWithoutRequest()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();

        var issued = scenario.Start(mailbox);

        Assert.Null(issued);
        Assert.Empty(mailbox.CredentialRequests);
        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
    }

    [Theory]
    [InlineData(MailboxStatus.NotStarted)]
    [InlineData(MailboxStatus.Completed)]
    [InlineData(MailboxStatus.Failed)]
    [InlineData(MailboxStatus.Stopped)]
    public void Start_InactiveWithClearedSource_WaitsForUser(MailboxStatus from)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(from);
        mailbox.ClearCredentials(source: true, destination: false, MailboxScenario.Admin, scenario.Now);

        var issued = scenario.Start(mailbox);

        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.True(issued!.Request.AsksSource);
        Assert.False(issued.Request.AsksDestination);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void ClearCredentials_ChosenSides_ForgetsOnlyThosePasswords(bool source, bool destination)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(MailboxStatus.Completed);

        mailbox.ClearCredentials(source, destination, MailboxScenario.Admin, scenario.Now);

        Assert.Equal(!source, mailbox.Source.IsKnown);
        Assert.Equal(!destination, mailbox.Destination.IsKnown);
        Assert.Equal(source ? null : $"cipher:{MailboxScenario.SourceEmail}", mailbox.Source.ProtectedPassword);
        Assert.Equal(destination ? null : $"cipher:{MailboxScenario.DestinationEmail}", mailbox.Destination.ProtectedPassword);
        Assert.Equal(MailboxStatus.Completed, mailbox.Status);
        var issued = scenario.Start(mailbox);
        Assert.Equal(source, issued!.Request.AsksSource);
        Assert.Equal(destination, issued.Request.AsksDestination);
    }

    // ----------------------------------------------------------------- expiry and the nonce

    [Fact]
    public void IsUsable_BeforeAndAtExpiry_TrueUntilLifetimeEnds()
    {
        var scenario = new MailboxScenario(rules: TwoDayLinks);
        var request = scenario.Start(scenario.NewMailbox(sourceKnown: false))!.Request;

        Assert.Equal(MailboxScenario.StartTime + Lifetime, request.ExpiresAt);
        scenario.Clock.Advance(Lifetime - TimeSpan.FromTicks(1));
        Assert.True(request.IsUsable(scenario.Now));
        scenario.Clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(request.IsUsable(scenario.Now));
        scenario.Clock.Advance(TimeSpan.FromDays(1));
        Assert.False(request.IsUsable(scenario.Now));
    }

    [Fact]
    public void Start_DefaultRules_LinkLastsSevenDays()
    {
        var scenario = new MailboxScenario();

        var request = scenario.Start(scenario.NewMailbox(sourceKnown: false))!.Request;

        Assert.Equal(MailboxScenario.StartTime.AddDays(7), request.ExpiresAt);
    }

    [Fact]
    public void AcceptCredentials_LinkExpired_RefusedAndStillWaiting()
    {
        var scenario = new MailboxScenario(rules: TwoDayLinks);
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        scenario.Clock.Advance(Lifetime);

        Assert.Throws<MailboxTransitionException>(() =>
            mailbox.AcceptCredentials(request, ("alice", "cipher:late"), null, scenario.Now));

        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.False(mailbox.Source.IsKnown);
        Assert.Equal(CredentialRequestState.Pending, request.State);
    }

    [Fact]
    public void Matches_NonceFromStart_True()
    {
        var scenario = new MailboxScenario();

        var issued = scenario.Start(scenario.NewMailbox(sourceKnown: false))!;

        Assert.Equal(CredentialRequest.NonceBytes, issued.Nonce.Length);
        Assert.True(issued.Request.Matches(issued.Nonce));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void Matches_OneBitChanged_False(int index)
    {
        var scenario = new MailboxScenario();
        var issued = scenario.Start(scenario.NewMailbox(sourceKnown: false))!;
        var tampered = issued.Nonce.ToArray();
        tampered[index] ^= 0x01;

        Assert.False(issued.Request.Matches(tampered));
    }

    [Fact]
    public void Matches_TruncatedOrEmptyNonce_False()
    {
        var scenario = new MailboxScenario();
        var issued = scenario.Start(scenario.NewMailbox(sourceKnown: false))!;

        Assert.False(issued.Request.Matches(issued.Nonce.AsSpan(0, 16)));
        Assert.False(issued.Request.Matches([]));
    }

    [Fact]
    public void Issue_AnyRequest_KeepsOnlyTheNonceHash()
    {
        var scenario = new MailboxScenario();

        var issued = scenario.Start(scenario.NewMailbox(sourceKnown: false))!;

        Assert.NotEqual(issued.Nonce, issued.Request.NonceHash);
        Assert.NotEmpty(issued.Request.NonceHash);
        Assert.DoesNotContain(typeof(CredentialRequest).GetProperties(),
            p => p.PropertyType == typeof(byte[]) && ((byte[])p.GetValue(issued.Request)!).SequenceEqual(issued.Nonce));
    }

    [Fact]
    public void Start_TwoItems_GetDifferentNoncesAndIds()
    {
        var scenario = new MailboxScenario();

        var first = scenario.Start(scenario.NewMailbox(sourceKnown: false))!;
        var second = scenario.Start(scenario.NewMailbox(sourceKnown: false))!;

        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.NotEqual(first.Request.Id, second.Request.Id);
        Assert.False(second.Request.Matches(first.Nonce));
    }

    // ----------------------------------------------------------------- revocation

    [Fact]
    public void Stop_WaitingForUser_RevokesRequest()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        scenario.Clock.Advance(TimeSpan.FromHours(1));

        scenario.Stop(mailbox);

        Assert.Equal(CredentialRequestState.Revoked, request.State);
        Assert.Equal(scenario.Now, request.ClosedAt);
        Assert.False(request.IsUsable(scenario.Now));
    }

    [Fact]
    public void Fail_WaitingForUser_RevokesRequest()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        scenario.Fail(mailbox);

        Assert.Equal(CredentialRequestState.Revoked, request.State);
    }

    [Fact]
    public void Stop_ExpiredButPendingRequest_RevokesIt()
    {
        var scenario = new MailboxScenario(rules: TwoDayLinks);
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        scenario.Clock.Advance(Lifetime * 2);

        scenario.Stop(mailbox);

        Assert.Equal(CredentialRequestState.Revoked, request.State);
    }

    public enum AdminFollowUp { Start, ClearCredentials, Delete, Edit }

    // Stop already revoked the link; these follow-ups must not bring it back or leave a second one open.
    [Theory]
    [InlineData(AdminFollowUp.Start)]
    [InlineData(AdminFollowUp.ClearCredentials)]
    [InlineData(AdminFollowUp.Delete)]
    [InlineData(AdminFollowUp.Edit)]
    public void AdminAction_AfterStop_OldLinkStaysDead(AdminFollowUp action)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var old = scenario.Start(mailbox)!;
        scenario.Stop(mailbox);

        switch (action)
        {
            case AdminFollowUp.Start: scenario.Start(mailbox); break;
            case AdminFollowUp.ClearCredentials: mailbox.ClearCredentials(true, true, MailboxScenario.Admin, scenario.Now); break;
            case AdminFollowUp.Delete: mailbox.Delete(scenario.Now); break;
            case AdminFollowUp.Edit:
                mailbox.Edit(MailboxScenario.Unknown("bob@source.test"), MailboxScenario.Known("bob@destination.test"),
                    "bob@example.test", MailboxScenario.Admin, scenario.Now);
                break;
        }

        Assert.Equal(CredentialRequestState.Revoked, old.Request.State);
        Assert.False(old.Request.IsUsable(scenario.Now));
        Assert.Throws<MailboxTransitionException>(() =>
            mailbox.AcceptCredentials(old.Request, ("alice", "cipher:x"), null, scenario.Now));
    }

    [Fact]
    public void Start_AfterStop_IssuesNewRequestAndOnlyItIsPending()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var first = scenario.Start(mailbox)!;
        scenario.Stop(mailbox);

        var second = scenario.Start(mailbox)!;

        Assert.NotEqual(first.Request.Id, second.Request.Id);
        Assert.Same(second.Request, scenario.PendingRequest(mailbox));
        Assert.False(second.Request.Matches(first.Nonce));
    }

    // ----------------------------------------------------------------- the user's answer

    [Fact]
    public void AcceptCredentials_SourceAsked_StoresLoginAndCiphertextAndSubmits()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        scenario.Clock.Advance(TimeSpan.FromHours(3));

        mailbox.AcceptCredentials(request, ("  alice.smith  ", "cipher:alice-source"), null, scenario.Now);

        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
        Assert.Equal("alice.smith", mailbox.Source.LoginName);
        Assert.Equal("cipher:alice-source", mailbox.Source.ProtectedPassword);
        Assert.Equal($"cipher:{MailboxScenario.DestinationEmail}", mailbox.Destination.ProtectedPassword);
        Assert.Equal(CredentialRequestState.Used, request.State);
        Assert.Equal(scenario.Now, request.ClosedAt);
        Assert.Equal(MailboxLicenseState.Held, mailbox.License);
        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal("mailbox user", mailbox.Events.Last().Actor);
    }

    [Fact]
    public void AcceptCredentials_BothAsked_StoresBoth()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false, destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        mailbox.AcceptCredentials(request, ("alice-src", "cipher:s"), ("alice-dst", "cipher:d"), scenario.Now);

        Assert.Equal(("alice-src", "cipher:s"), (mailbox.Source.LoginName, mailbox.Source.ProtectedPassword));
        Assert.Equal(("alice-dst", "cipher:d"), (mailbox.Destination.LoginName, mailbox.Destination.ProtectedPassword));
        Assert.False(mailbox.NeedsCredentialsFromUser());
    }

    [Fact]
    public void AcceptCredentials_AfterAccepting_NextStartAsksNothing()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        mailbox.AcceptCredentials(request, ("alice", "cipher:s"), null, scenario.Now);
        scenario.Stop(mailbox);

        var issued = scenario.Start(mailbox);

        Assert.Null(issued);
        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
    }

    [Fact]
    public void AcceptCredentials_RequestAlreadyUsed_RefusedAndNewRequestStaysPending()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var used = scenario.Start(mailbox)!.Request;
        mailbox.RejectCredentials(used, sourceWrong: true, destinationWrong: false, scenario.Pool, scenario.Now);
        var current = scenario.Start(mailbox)!.Request;

        var error = Assert.Throws<MailboxTransitionException>(() =>
            mailbox.AcceptCredentials(used, ("alice", "cipher:s"), null, scenario.Now));

        Assert.Contains("no longer valid", error.Message);
        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Equal(CredentialRequestState.Used, used.State);
        Assert.Equal(CredentialRequestState.Pending, current.State);
        Assert.False(mailbox.Source.IsKnown);
    }

    [Fact]
    public void AcceptCredentials_RequestRevoked_RefusedAndNewRequestStaysPending()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var revoked = scenario.Start(mailbox)!.Request;
        scenario.Stop(mailbox);
        var current = scenario.Start(mailbox)!.Request;

        Assert.Throws<MailboxTransitionException>(() =>
            mailbox.AcceptCredentials(revoked, ("alice", "cipher:s"), null, scenario.Now));

        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Equal(CredentialRequestState.Revoked, revoked.State);
        Assert.Equal(CredentialRequestState.Pending, current.State);
        Assert.False(mailbox.Source.IsKnown);
    }

    [Fact]
    public void RejectCredentials_RequestAlreadyUsed_Refused()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var used = scenario.Start(mailbox)!.Request;
        mailbox.RejectCredentials(used, sourceWrong: true, destinationWrong: false, scenario.Pool, scenario.Now);
        var current = scenario.Start(mailbox)!.Request;
        var available = scenario.Pool.Available;

        Assert.Throws<MailboxTransitionException>(() =>
            mailbox.RejectCredentials(used, sourceWrong: true, destinationWrong: false, scenario.Pool, scenario.Now));

        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Equal(CredentialRequestState.Pending, current.State);
        Assert.Equal(available, scenario.Pool.Available);
    }

    [Fact]
    public void AcceptCredentials_RequestOfAnotherMailbox_Refused()
    {
        var scenario = new MailboxScenario();
        var mine = scenario.NewMailbox(sourceKnown: false);
        var theirs = scenario.NewMailbox(sourceKnown: false);
        scenario.Start(mine);
        var theirRequest = scenario.Start(theirs)!.Request;

        Assert.Throws<MailboxTransitionException>(() =>
            mine.AcceptCredentials(theirRequest, ("alice", "cipher:s"), null, scenario.Now));

        Assert.Equal(MailboxStatus.WaitingForUser, mine.Status);
        Assert.Equal(CredentialRequestState.Pending, theirRequest.State);
    }

    [Theory]
    [InlineData(true, false, FailureKind.SourceCredentials, "Source credentials are incorrect")]
    [InlineData(false, true, FailureKind.DestinationCredentials, "Destination credentials are incorrect")]
    [InlineData(true, true, FailureKind.SourceAndDestinationCredentials,
        "Source credentials are incorrect; Destination credentials are incorrect")]
    public void RejectCredentials_WrongSide_FailsSayingWhichAndReturnsLicense(
        bool sourceWrong, bool destinationWrong, FailureKind kind, string text)
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox(sourceKnown: false, destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        scenario.Clock.Advance(TimeSpan.FromMinutes(10));

        mailbox.RejectCredentials(request, sourceWrong, destinationWrong, scenario.Pool, scenario.Now);

        Assert.Equal(MailboxStatus.Failed, mailbox.Status);
        Assert.Equal(kind, mailbox.Failure?.Kind);
        Assert.Equal(text, mailbox.Failure?.Text);
        Assert.Equal(CredentialRequestState.Used, request.State);
        Assert.Equal(scenario.Now, request.ClosedAt);
        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.None, mailbox.License);
        var returned = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Returned, returned.Kind);
        Assert.Equal(mailbox.Id, returned.MailboxId);
        Assert.False(mailbox.Source.IsKnown);
        Assert.False(mailbox.Destination.IsKnown);
    }

    [Fact]
    public void RejectCredentials_ThenStart_AsksTheSameSidesAgain()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        mailbox.RejectCredentials(request, sourceWrong: false, destinationWrong: true, scenario.Pool, scenario.Now);

        var again = scenario.Start(mailbox)!.Request;

        Assert.False(again.AsksSource);
        Assert.True(again.AsksDestination);
        Assert.Null(mailbox.Failure);
    }

    // ----------------------------------------------------------------- bad answers must leave the link usable

    public enum BadAnswer { RequestedSideMissing, LoginWithControlCharacter, EmptyLogin }

    [Theory]
    [InlineData(BadAnswer.RequestedSideMissing)]
    [InlineData(BadAnswer.LoginWithControlCharacter)]
    [InlineData(BadAnswer.EmptyLogin)]
    public void AcceptCredentials_BadAnswer_ThrowsAndLeavesLinkPending(BadAnswer answer)
    {
        // The aggregate promises that nothing half-applies: a refused answer must not burn the
        // user's one-time link or store half of what was typed.
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false, destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;
        (string, string)? source = answer switch
        {
            BadAnswer.RequestedSideMissing => null,
            BadAnswer.LoginWithControlCharacter => ("ali\u0007ce", "cipher:s"),
            _ => ("   ", "cipher:s"),
        };

        Assert.NotNull(Record.Exception(() =>
            mailbox.AcceptCredentials(request, source, ("alice-dst", "cipher:d"), scenario.Now)));

        Assert.Equal(CredentialRequestState.Pending, request.State);
        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.False(mailbox.Source.IsKnown);
        Assert.False(mailbox.Destination.IsKnown);
    }

    [Fact]
    public void RejectCredentials_NeitherSideWrong_ThrowsAndLeavesLinkPending()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        Assert.Throws<ArgumentException>(() =>
            mailbox.RejectCredentials(request, sourceWrong: false, destinationWrong: false, scenario.Pool, scenario.Now));

        Assert.Equal(CredentialRequestState.Pending, request.State);
        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
    }

    [Fact]
    public void AcceptCredentials_SideNotAsked_KeepsAdminsStoredCredentials()
    {
        // The link asks for the source only; whatever else its holder posts must not replace the
        // destination login the admin entered (that would let a link holder redirect the copy).
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        _ = Record.Exception(() => mailbox.AcceptCredentials(request, ("alice", "cipher:s"),
            ("mallory", "cipher:mallory"), scenario.Now));

        Assert.Equal($"login-{MailboxScenario.DestinationEmail}", mailbox.Destination.LoginName);
        Assert.Equal($"cipher:{MailboxScenario.DestinationEmail}", mailbox.Destination.ProtectedPassword);
    }
}
