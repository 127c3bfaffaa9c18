using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests.CredentialRequests;

/// <summary>
/// Verify Credentials records what the servers said without moving the item. (The link claim a submission makes is
/// a database update; its tests run on a real SQLite file in the Web tests, CredentialRequestClaimTests.)
/// </summary>
public sealed class CredentialCheckRecordTests
{
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
