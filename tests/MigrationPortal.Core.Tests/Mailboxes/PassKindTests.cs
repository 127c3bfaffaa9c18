using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests.Mailboxes;

/// <summary>Start with each pass type: what the pass records, what is refused, and what the license is charged.</summary>
public sealed class PassKindTests
{
    private static readonly DateTimeOffset Before = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<PassKind, DateTimeOffset?> EveryKind => new()
    {
        { PassKind.Full, null },
        { PassKind.Delta, null },
        { PassKind.PreStage, Before },
        { PassKind.RetryErrors, null },
    };

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void Start_EachKind_TheNextPassRecordsItsKindAndDate(PassKind kind, DateTimeOffset? before)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();

        scenario.Start(mailbox, pass: PassRequest.Create(kind, before), failedMessages: 2);
        mailbox.BeginPass(scenario.Now);

        var pass = Assert.Single(mailbox.Passes);
        Assert.Equal(kind, pass.Kind);
        Assert.Equal(before, pass.PreStageBefore);
        Assert.Equal(MailboxStatus.Migrating, mailbox.Status);
        Assert.Contains($"({kind.ToDisplay()}", mailbox.Events.First(e => e.ToStatus == MailboxStatus.Submitted).Description);
    }

    [Fact]
    public void Start_WithoutAKind_IsAFullPass()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();

        scenario.Start(mailbox);
        mailbox.BeginPass(scenario.Now);

        Assert.Equal(PassKind.Full, Assert.Single(mailbox.Passes).Kind);
    }

    [Fact]
    public void Start_KindRemembered_WhileTheUserIsAskedForCredentials()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false);

        var issued = scenario.Start(mailbox, pass: PassRequest.Create(PassKind.PreStage, Before))!;
        mailbox.AcceptCredentials(issued.Request, ("alice", "cipher:typed"), null, scenario.Now);
        mailbox.BeginPass(scenario.Now);

        var pass = Assert.Single(mailbox.Passes);
        Assert.Equal(PassKind.PreStage, pass.Kind);
        Assert.Equal(Before, pass.PreStageBefore);
    }

    public static TheoryData<PassKind, DateTimeOffset?, string> BadRequests => new()
    {
        { PassKind.PreStage, null, "Pre-Stage needs a date" },
        { PassKind.Full, Before, "Only a Pre-Stage pass takes a date" },
        { PassKind.Delta, Before, "Only a Pre-Stage pass takes a date" },
        { PassKind.RetryErrors, Before, "Only a Pre-Stage pass takes a date" },
        { (PassKind)42, null, "Choose a pass type" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Create_BadKindOrDate_RefusedWithTheReason(PassKind kind, DateTimeOffset? before, string message)
    {
        var error = Assert.Throws<DomainValidationException>(() => PassRequest.Create(kind, before));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Start_RetryErrorsWithNothingFailed_RefusedAndNothingChanges()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();

        var error = Assert.Throws<MailboxTransitionException>(() =>
            scenario.Start(mailbox, pass: PassRequest.Create(PassKind.RetryErrors), failedMessages: 0));

        Assert.Contains("nothing to retry", error.Message);
        Assert.Equal(MailboxStatus.NotStarted, mailbox.Status);
        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.None, mailbox.License);
    }

    // ----------------------------------------------------------------- licensing per kind

    /// <param name="usesLicense">Whether Start holds a license and the completed pass consumes and counts it.</param>
    [Theory]
    [InlineData(PassKind.Full, true)]
    [InlineData(PassKind.Delta, true)]
    [InlineData(PassKind.PreStage, true)]
    [InlineData(PassKind.RetryErrors, false)]
    public void CompletePass_ThatMovedData_ConsumesALicenseUnlessRetryErrors(PassKind kind, bool usesLicense)
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();

        scenario.Start(mailbox, pass: PassRequest.Create(kind, kind == PassKind.PreStage ? Before : null), failedMessages: 1);
        Assert.Equal(usesLicense ? 2 : 3, scenario.Pool.Available);
        scenario.BeginPass(mailbox, items: 1, bytes: 500);
        scenario.CompletePass(mailbox);

        Assert.Equal(usesLicense ? 2 : 3, scenario.Pool.Available);
        Assert.Equal(usesLicense ? MailboxLicenseState.Consumed : MailboxLicenseState.None, mailbox.License);
        Assert.Equal(usesLicense ? 1 : 0, mailbox.LicensesConsumed);
        Assert.Equal(usesLicense ? 1 : 0, mailbox.PassesOnLicense);
        Assert.Equal(usesLicense ? 500 : 0, mailbox.BytesOnLicense);
    }

    [Fact]
    public void RetryErrors_OnAConsumedLicense_CountsNeitherPassNorBytes()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 5, bytes: 1_000);

        scenario.Start(mailbox, pass: PassRequest.Create(PassKind.RetryErrors), failedMessages: 2);
        scenario.BeginPass(mailbox, items: 2, bytes: 400);
        scenario.CompletePass(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        Assert.Equal(1, mailbox.LicensesConsumed);
        Assert.Equal(1, mailbox.PassesOnLicense);
        Assert.Equal(1_000, mailbox.BytesOnLicense);
    }

    [Fact]
    public void RetryErrors_OnAnExhaustedLicense_NeedsNoNewLicense()
    {
        var rules = new MailboxRules(new LicensePolicy(MaxPassesPerLicense: 1), TimeSpan.FromDays(7));
        var scenario = new MailboxScenario(licenses: 1, rules: rules);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox);
        Assert.Equal(0, scenario.Pool.Available);

        scenario.Start(mailbox, pass: PassRequest.Create(PassKind.RetryErrors), failedMessages: 1);

        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        // A Delta on the same mailbox needs a new license, and there is none.
        scenario.BeginPass(mailbox, items: 1);
        scenario.CompletePass(mailbox);
        var error = Assert.Throws<MailboxTransitionException>(() => scenario.Start(mailbox, pass: PassRequest.Create(PassKind.Delta)));
        Assert.Equal(LicensePool.NoneAvailableMessage, error.Message);
    }

    [Fact]
    public void RecordInventoryAndTotals_ShownOnThePassWithItsThroughput()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox, items: 10, bytes: 4_000);
        var version = mailbox.Version;

        mailbox.RecordInventory(folders: 3, messages: 12, bytes: 5_000);
        mailbox.RecordPassTotals(skipped: 1, failed: 1, TimeSpan.FromSeconds(4));

        var pass = Assert.Single(mailbox.Passes);
        Assert.Equal((3, 12, 5_000L), (pass.FoldersFound, pass.MessagesFound, pass.BytesFound));
        Assert.Equal((1, 1), (pass.MessagesSkipped, pass.MessagesFailed));
        Assert.Equal(2.5, pass.MessagesPerSecond);
        Assert.Equal(1_000, pass.BytesPerSecond);
        Assert.Equal(version, mailbox.Version); // progress never races an admin's Stop
    }

    [Theory]
    [InlineData(MailboxStatus.NotStarted)]
    [InlineData(MailboxStatus.Submitted)]
    [InlineData(MailboxStatus.Completed)]
    [InlineData(MailboxStatus.Stopped)]
    public void RecordInventory_NoPassRunning_Refused(MailboxStatus status)
    {
        var mailbox = new MailboxScenario().InStatus(status);

        Assert.Throws<MailboxTransitionException>(() => mailbox.RecordInventory(1, 1, 1));
    }
}
