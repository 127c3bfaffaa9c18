using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests.Licenses;

public sealed class LicenseAccountingTests
{
    private static readonly MailboxRules SmallByteLimit =
        new(new LicensePolicy(MaxPassesPerLicense: 10, MaxBytesPerLicense: 1_000), TimeSpan.FromDays(7));

    // ----------------------------------------------------------------- adding

    [Theory]
    [InlineData(1)]
    [InlineData(250)]
    [InlineData(100_000)]
    public void Add_QuantityInRange_IncreasesAvailableAndRecordsMovement(int quantity)
    {
        var scenario = new MailboxScenario(licenses: 3);

        var movement = scenario.Pool.Add(quantity, "carol@example.test", scenario.Now, "  Purchase order 17  ");

        Assert.Equal(3 + quantity, scenario.Pool.Available);
        Assert.Equal(LicenseMovementKind.Added, movement.Kind);
        Assert.Equal(quantity, movement.Quantity);
        Assert.Equal("carol@example.test", movement.Actor);
        Assert.Equal(scenario.Now, movement.At);
        Assert.Equal("Purchase order 17", movement.Reason);
        Assert.Null(movement.MailboxId);
        Assert.Equal(3 + quantity, movement.AvailableAfter);
        Assert.Same(movement, scenario.Pool.Movements.Last());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100_001)]
    [InlineData(int.MaxValue)]
    public void Add_QuantityOutOfRange_ThrowsValidationAndAddsNothing(int quantity)
    {
        var scenario = new MailboxScenario(licenses: 3);

        var error = Assert.Throws<DomainValidationException>(() => scenario.Pool.Add(quantity, MailboxScenario.Admin, scenario.Now, null));

        Assert.Contains("100,000", error.Message);
        Assert.Equal(3, scenario.Pool.Available);
        Assert.Single(scenario.Pool.Movements);
    }

    [Fact]
    public void Add_NoNote_RecordsDefaultReason()
    {
        var pool = new LicensePool();

        var movement = pool.Add(5, MailboxScenario.Admin, MailboxScenario.StartTime, "   ");

        Assert.Equal("Licenses added", movement.Reason);
    }

    // ----------------------------------------------------------------- holding on Start

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Start_NoLicense_HoldsOneAndRecordsWhoWhenAndWhich(bool credentialsKnown)
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox(sourceKnown: credentialsKnown);
        scenario.Clock.Advance(TimeSpan.FromHours(2));

        scenario.Start(mailbox, actor: "dave@example.test");

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Held, mailbox.License);
        var held = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Held, held.Kind);
        Assert.Equal(1, held.Quantity);
        Assert.Equal("dave@example.test", held.Actor);
        Assert.Equal(scenario.Now, held.At);
        Assert.Equal(mailbox.Id, held.MailboxId);
        Assert.Equal(mailbox.Label, held.MailboxLabel);
        Assert.Equal("Start", held.Reason);
        Assert.Equal(2, held.AvailableAfter);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Start_EmptyPool_RefusedAndNothingChanges(bool credentialsKnown)
    {
        var scenario = new MailboxScenario(licenses: 0);
        var mailbox = scenario.NewMailbox(sourceKnown: credentialsKnown);
        var events = mailbox.Events.Count;

        var error = Assert.Throws<MailboxTransitionException>(() => scenario.Start(mailbox));

        Assert.Contains("Licenses page", error.Message);
        Assert.Equal(MailboxStatus.NotStarted, mailbox.Status);
        Assert.Equal(MailboxLicenseState.None, mailbox.License);
        Assert.Equal(0, scenario.Pool.Available);
        Assert.Empty(scenario.Pool.Movements);
        Assert.Empty(mailbox.CredentialRequests);
        Assert.Equal(events, mailbox.Events.Count);
    }

    [Fact]
    public void Start_LastLicenseTakenByAnotherItem_Refused()
    {
        var scenario = new MailboxScenario(licenses: 1);
        var first = scenario.NewMailbox();
        var second = scenario.NewMailbox();
        scenario.Start(first);

        Assert.Throws<MailboxTransitionException>(() => scenario.Start(second));

        Assert.Equal(MailboxStatus.Submitted, first.Status);
        Assert.Equal(MailboxStatus.NotStarted, second.Status);
        Assert.Equal(0, scenario.Pool.Available);
    }

    [Fact]
    public void Start_ConsumedLicenseWithRoom_HoldsNothing()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox);
        var movements = scenario.Pool.Movements.Count;

        scenario.Start(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(movements, scenario.Pool.Movements.Count);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
    }

    [Fact]
    public void Start_ConsumedLicenseWithRoomAndEmptyPool_Allowed()
    {
        var scenario = new MailboxScenario(licenses: 1);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox);
        Assert.Equal(0, scenario.Pool.Available);

        scenario.Start(mailbox);

        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
    }

    // ----------------------------------------------------------------- the pass limit

    [Fact]
    public void Start_TenPassesOnLicense_HoldsAnother()
    {
        var scenario = new MailboxScenario(licenses: 5);
        var mailbox = scenario.NewMailbox();
        for (var pass = 1; pass <= 10; pass++)
        {
            scenario.Start(mailbox);
            Assert.Equal(4, scenario.Pool.Available); // only the first Start takes a license
            scenario.BeginPass(mailbox, items: 1, bytes: 10);
            scenario.CompletePass(mailbox);
            Assert.Equal(pass, mailbox.PassesOnLicense);
        }
        Assert.Equal(1, mailbox.LicensesConsumed);

        scenario.Start(mailbox);

        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Held, mailbox.License);
        Assert.Equal(0, mailbox.PassesOnLicense);
        Assert.Equal(0, mailbox.BytesOnLicense);
        var held = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Held, held.Kind);
        Assert.Equal(mailbox.Id, held.MailboxId);
        Assert.Contains("used up", held.Reason);
    }

    [Fact]
    public void CompletePass_EleventhPassMovedData_ConsumesSecondLicense()
    {
        var scenario = new MailboxScenario(licenses: 5);
        var mailbox = scenario.NewMailbox();
        for (var pass = 1; pass <= 11; pass++)
            scenario.RunToCompletion(mailbox, items: 1, bytes: 10);

        Assert.Equal(2, mailbox.LicensesConsumed);
        Assert.Equal(1, mailbox.PassesOnLicense);
        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(2, scenario.Pool.Movements.Count(m => m.Kind == LicenseMovementKind.Consumed));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Start_PolicyPassLimitReached_HoldsAnother(int maxPasses)
    {
        var rules = new MailboxRules(new LicensePolicy(MaxPassesPerLicense: maxPasses), TimeSpan.FromDays(7));
        var scenario = new MailboxScenario(licenses: 5, rules);
        var mailbox = scenario.NewMailbox();
        for (var pass = 1; pass <= maxPasses; pass++)
            scenario.RunToCompletion(mailbox);
        Assert.Equal(4, scenario.Pool.Available);

        scenario.Start(mailbox);

        Assert.Equal(3, scenario.Pool.Available);
    }

    [Fact]
    public void CompletePass_RestartedPassMovedNoData_StillCountsAsPassOnConsumedLicense()
    {
        var scenario = new MailboxScenario(licenses: 5);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 1, bytes: 10);

        scenario.RunToCompletion(mailbox, items: 0, bytes: 0);

        Assert.Equal(2, mailbox.PassesOnLicense);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        Assert.Equal(4, scenario.Pool.Available);
    }

    // ----------------------------------------------------------------- the byte limit

    [Fact]
    public void Start_BytesBelowLimit_HoldsNothing()
    {
        var scenario = new MailboxScenario(licenses: 5, SmallByteLimit);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 1, bytes: 999);

        scenario.Start(mailbox);

        Assert.Equal(4, scenario.Pool.Available);
        Assert.Equal(999, mailbox.BytesOnLicense);
    }

    [Fact]
    public void Start_BytesReachLimitOverTwoPasses_HoldsAnother()
    {
        var scenario = new MailboxScenario(licenses: 5, SmallByteLimit);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 1, bytes: 999);
        scenario.RunToCompletion(mailbox, items: 1, bytes: 1);
        Assert.Equal(1_000, mailbox.BytesOnLicense);
        Assert.Equal(4, scenario.Pool.Available);

        scenario.Start(mailbox);

        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Held, mailbox.License);
        Assert.Equal(0, mailbox.BytesOnLicense);
    }

    [Fact]
    public void Start_OnePassMovedMoreThanLimit_HoldsAnother()
    {
        var scenario = new MailboxScenario(licenses: 5, SmallByteLimit);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 40, bytes: 5_000);

        scenario.Start(mailbox);

        Assert.Equal(3, scenario.Pool.Available);
    }

    [Fact]
    public void Start_DefaultPolicy_CoversFiftyGigabytes()
    {
        const long fiftyGigabytes = 50L * 1024 * 1024 * 1024;
        var scenario = new MailboxScenario(licenses: 5);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 1, bytes: fiftyGigabytes - 1);
        scenario.Start(mailbox);
        Assert.Equal(4, scenario.Pool.Available);
        scenario.BeginPass(mailbox, items: 1, bytes: 1);
        scenario.CompletePass(mailbox);

        scenario.Start(mailbox);

        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(10, LicensePolicy.Default.MaxPassesPerLicense);
    }

    [Theory]
    [InlineData("Stop")]
    [InlineData("Fail")]
    public void EndPass_PassMovedBytesUpToLimitButDidNotComplete_NextStartHoldsAnother(string howItEnded)
    {
        // Data moved is data moved: a pass that is stopped or fails after copying the license's
        // whole allowance must use it up, or stopping every pass before it completes moves
        // unlimited data on one license.
        var scenario = new MailboxScenario(licenses: 5, SmallByteLimit);
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox, items: 10, bytes: 1_000);
        if (howItEnded == "Stop") scenario.Stop(mailbox); else scenario.Fail(mailbox);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);

        scenario.Start(mailbox);

        Assert.Equal(3, scenario.Pool.Available);
    }

    // ----------------------------------------------------------------- settling on Stop, Fail and Complete

    [Theory]
    [InlineData(MailboxStatus.Submitted)]
    [InlineData(MailboxStatus.WaitingForUser)]
    [InlineData(MailboxStatus.Migrating)]
    public void Stop_HeldLicenseNoDataMoved_ReturnsIt(MailboxStatus from)
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.InStatus(from);
        Assert.Equal(2, scenario.Pool.Available);
        scenario.Clock.Advance(TimeSpan.FromMinutes(30));

        scenario.Stop(mailbox, actor: "erin@example.test");

        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.None, mailbox.License);
        Assert.Equal(0, mailbox.LicensesConsumed);
        var returned = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Returned, returned.Kind);
        Assert.Equal("erin@example.test", returned.Actor);
        Assert.Equal(scenario.Now, returned.At);
        Assert.Equal(mailbox.Id, returned.MailboxId);
        Assert.Equal(3, returned.AvailableAfter);
    }

    [Fact]
    public void Stop_RunningPassMovedData_ConsumesInsteadOfReturning()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox, items: 5, bytes: 500);

        scenario.Stop(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        Assert.Equal(1, mailbox.LicensesConsumed);
        var consumed = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Consumed, consumed.Kind);
        Assert.Equal(mailbox.Id, consumed.MailboxId);
        Assert.Equal(2, consumed.AvailableAfter);
        Assert.DoesNotContain(scenario.Pool.Movements, m => m.Kind == LicenseMovementKind.Returned);
    }

    [Fact]
    public void Stop_ConsumedLicenseWithRoom_MovesNothing()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox);
        scenario.Start(mailbox);
        var movements = scenario.Pool.Movements.Count;

        scenario.Stop(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(movements, scenario.Pool.Movements.Count);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
    }

    [Theory]
    [InlineData(MailboxStatus.Submitted)]
    [InlineData(MailboxStatus.WaitingForUser)]
    [InlineData(MailboxStatus.Migrating)]
    public void Fail_HeldLicenseNoDataMoved_ReturnsIt(MailboxStatus from)
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.InStatus(from);

        scenario.Fail(mailbox, FailureReason.DestinationUnreachable("timeout"));

        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.None, mailbox.License);
        var returned = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Returned, returned.Kind);
        Assert.Equal(MailboxScenario.Engine, returned.Actor);
        Assert.Equal(mailbox.Id, returned.MailboxId);
        Assert.Contains("Destination server unreachable: timeout", returned.Reason);
    }

    [Fact]
    public void Fail_RunningPassMovedData_ConsumesLikeStop()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox, items: 2, bytes: 20);

        scenario.Fail(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        Assert.Equal(LicenseMovementKind.Consumed, scenario.Pool.Movements.Last().Kind);
    }

    [Fact]
    public void CompletePass_DataMoved_ConsumesHeldLicense()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox, items: 12, bytes: 3_400);
        scenario.Clock.Advance(TimeSpan.FromMinutes(20));

        scenario.CompletePass(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Consumed, mailbox.License);
        Assert.Equal(1, mailbox.LicensesConsumed);
        Assert.Equal(1, mailbox.PassesOnLicense);
        Assert.Equal(3_400, mailbox.BytesOnLicense);
        var consumed = scenario.Pool.Movements.Last();
        Assert.Equal(LicenseMovementKind.Consumed, consumed.Kind);
        Assert.Equal(MailboxScenario.Engine, consumed.Actor);
        Assert.Equal(scenario.Now, consumed.At);
        Assert.Equal(mailbox.Id, consumed.MailboxId);
        Assert.Equal(2, consumed.AvailableAfter);
    }

    [Fact]
    public void CompletePass_NoDataMoved_ReturnsHeldLicense()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox);

        scenario.CompletePass(mailbox);

        Assert.Equal(MailboxStatus.Completed, mailbox.Status);
        Assert.Equal(3, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.None, mailbox.License);
        Assert.Equal(0, mailbox.LicensesConsumed);
        Assert.Equal(0, mailbox.PassesOnLicense);
        Assert.Equal(LicenseMovementKind.Returned, scenario.Pool.Movements.Last().Kind);
    }

    [Fact]
    public void Start_AfterEmptyPassReturnedLicense_HoldsAgain()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.NewMailbox();
        scenario.RunToCompletion(mailbox, items: 0, bytes: 0);

        scenario.Start(mailbox);

        Assert.Equal(2, scenario.Pool.Available);
        Assert.Equal(MailboxLicenseState.Held, mailbox.License);
    }

    // ----------------------------------------------------------------- delete

    [Theory]
    [InlineData(MailboxStatus.NotStarted)]
    [InlineData(MailboxStatus.Completed)]
    [InlineData(MailboxStatus.Failed)]
    [InlineData(MailboxStatus.Stopped)]
    public void Delete_Inactive_ReturnsNothing(MailboxStatus from)
    {
        var scenario = new MailboxScenario(licenses: 3);
        var mailbox = scenario.InStatus(from);
        var available = scenario.Pool.Available;
        var movements = scenario.Pool.Movements.Count;

        mailbox.Delete(scenario.Now);

        Assert.Equal(available, scenario.Pool.Available);
        Assert.Equal(movements, scenario.Pool.Movements.Count);
    }

    // ----------------------------------------------------------------- the ledger

    [Fact]
    public void Movements_TwoItemsThroughTheirLifecycles_LedgerTellsTheWholeStory()
    {
        var scenario = new MailboxScenario(licenses: 3);
        var completed = scenario.NewMailbox();
        var stopped = scenario.NewMailbox();

        scenario.Start(completed);
        scenario.Start(stopped);
        scenario.BeginPass(completed, items: 1, bytes: 100);
        scenario.CompletePass(completed);
        scenario.Stop(stopped);

        Assert.Collection(scenario.Pool.Movements,
            m => Assert.Equal((LicenseMovementKind.Added, (int?)null, 3), (m.Kind, m.MailboxId, m.AvailableAfter)),
            m => Assert.Equal((LicenseMovementKind.Held, (int?)completed.Id, 2), (m.Kind, m.MailboxId, m.AvailableAfter)),
            m => Assert.Equal((LicenseMovementKind.Held, (int?)stopped.Id, 1), (m.Kind, m.MailboxId, m.AvailableAfter)),
            m => Assert.Equal((LicenseMovementKind.Consumed, (int?)completed.Id, 1), (m.Kind, m.MailboxId, m.AvailableAfter)),
            m => Assert.Equal((LicenseMovementKind.Returned, (int?)stopped.Id, 2), (m.Kind, m.MailboxId, m.AvailableAfter)));
        Assert.Equal(2, scenario.Pool.Available);
    }
}
