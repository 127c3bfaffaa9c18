using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests.CredentialRequests;

/// <summary>A submission claims the link while the servers are asked; an unreachable server gives it back.</summary>
public sealed class VerificationClaimTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    [Fact]
    public void TryBeginVerification_Pending_ClaimsOnceAndCountsTheAttempt()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);
        var request = s.Start(mailbox)!.Request;

        Assert.True(request.TryBeginVerification(s.Now, Lease));
        Assert.False(request.TryBeginVerification(s.Now, Lease));

        Assert.Equal(CredentialRequestState.Verifying, request.State);
        Assert.Equal(1, request.Attempts);
    }

    [Fact]
    public void TryBeginVerification_ClaimLapsed_CanBeClaimedAgain()
    {
        var s = new MailboxScenario();
        var request = s.Start(s.NewMailbox(sourceKnown: false))!.Request;
        request.TryBeginVerification(s.Now, Lease);

        s.Clock.Advance(Lease);

        Assert.True(request.IsUsable(s.Now));
        Assert.True(request.TryBeginVerification(s.Now, Lease));
        Assert.Equal(2, request.Attempts);
    }

    [Fact]
    public void RecordUnreachable_Verifying_StaysWaitingLinkPendingAndProblemShown()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);
        var request = s.Start(mailbox)!.Request;
        request.TryBeginVerification(s.Now, Lease);

        mailbox.RecordUnreachable(request, FailureReason.SourceUnreachable("Could not connect to imap.test:993"), s.Now);

        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Null(mailbox.Failure);
        Assert.Equal(CredentialRequestState.Pending, request.State);
        Assert.True(request.IsUsable(s.Now));
        Assert.Equal("Source server unreachable: Could not connect to imap.test:993", mailbox.VerificationProblem);
    }

    [Fact]
    public void RecordUnreachable_NotClaimed_Refused()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);
        var request = s.Start(mailbox)!.Request;

        Assert.Throws<MailboxTransitionException>(() =>
            mailbox.RecordUnreachable(request, FailureReason.SourceUnreachable("x"), s.Now));
        Assert.Equal(CredentialRequestState.Pending, request.State);
    }

    [Fact]
    public void TryBeginVerification_AttemptsUsedUp_LinkNoLongerUsable()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);
        var request = s.Start(mailbox)!.Request;
        for (var i = 0; i < CredentialRequest.MaxVerificationAttempts; i++)
        {
            Assert.True(request.TryBeginVerification(s.Now, Lease));
            mailbox.RecordUnreachable(request, FailureReason.SourceUnreachable("down"), s.Now);
        }

        Assert.False(request.IsUsable(s.Now));
        Assert.False(request.TryBeginVerification(s.Now, Lease));
    }

    [Fact]
    public void Stop_WhileVerifying_RevokesTheClaimedLink()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);
        var request = s.Start(mailbox)!.Request;
        request.TryBeginVerification(s.Now, Lease);

        s.Stop(mailbox);

        Assert.Equal(CredentialRequestState.Revoked, request.State);
        Assert.Throws<MailboxTransitionException>(() =>
            mailbox.AcceptCredentials(request, ("alice", "cipher:x"), null, s.Now));
    }

    [Fact]
    public void AcceptCredentials_Verifying_UsesTheLinkAndSubmits()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);
        var request = s.Start(mailbox)!.Request;
        request.TryBeginVerification(s.Now, Lease);

        mailbox.AcceptCredentials(request, ("alice", "cipher:alice"), null, s.Now);

        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
        Assert.Equal(CredentialRequestState.Used, request.State);
    }

    [Theory]
    [InlineData(MailboxStatus.NotStarted, true)]
    [InlineData(MailboxStatus.Submitted, true)]
    [InlineData(MailboxStatus.Completed, true)]
    [InlineData(MailboxStatus.Stopped, true)]
    [InlineData(MailboxStatus.Migrating, false)]
    [InlineData(MailboxStatus.WaitingForUser, false)]
    public void RecordCredentialCheck_ByStatus_RecordsWithoutChangingStatusOrLicenses(MailboxStatus status, bool allowed)
    {
        var s = new MailboxScenario();
        var mailbox = s.InStatus(status);
        var available = s.Pool.Available;
        var events = mailbox.Events.Count;

        var act = () => mailbox.RecordCredentialCheck("both servers accepted the credentials", MailboxScenario.Admin, s.Now);

        if (allowed)
        {
            act();
            Assert.Equal(events + 1, mailbox.Events.Count);
        }
        else
        {
            Assert.Throws<MailboxTransitionException>(act);
            Assert.Equal(events, mailbox.Events.Count);
        }
        Assert.Equal(status, mailbox.Status);
        Assert.Equal(available, s.Pool.Available);
    }

    [Fact]
    public void RecordCredentialCheck_UnknownSide_RefusedWithAdvice()
    {
        var s = new MailboxScenario();
        var mailbox = s.NewMailbox(sourceKnown: false);

        var e = Assert.Throws<MailboxTransitionException>(() => mailbox.RecordCredentialCheck("x", MailboxScenario.Admin, s.Now));

        Assert.Contains("Start it to ask the user", e.Message);
    }
}
