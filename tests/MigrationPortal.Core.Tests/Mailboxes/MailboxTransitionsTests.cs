using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using static MigrationPortal.Core.Mailboxes.MailboxStatus;

namespace MigrationPortal.Core.Tests.Mailboxes;

public sealed class MailboxTransitionsTests
{
    /// <summary>What can be done to an item: admin actions, the user's link, and the migration engine.</summary>
    public enum Act
    {
        Start,
        Stop,
        RequestStop,
        ClearCredentials,
        Delete,
        Edit,
        AcceptCredentials,
        RejectCredentials,
        BeginPass,
        RecordProgress,
        CompletePass,
        Fail,
    }

    private static readonly MailboxStatus? No = null;

    // The lifecycle as the product defines it, written out by hand (not read from MailboxTransitions)
    // so that a wrong table in the domain fails here. A cell is the status after the action, or No
    // when the action must be refused. The fixtures know both sides' credentials (see MailboxScenario.InStatus),
    // so an allowed Start submits the item.
    private static readonly MailboxStatus[] Columns =
        [NotStarted, Submitted, WaitingForUser, Migrating, Completed, Failed, Stopped, Stopping];

    private static readonly Dictionary<Act, MailboxStatus?[]> Expected = new()
    {
        //                         Not Started  Submitted  Waiting     Migrating  Completed  Failed     Stopped    Stopping
        [Act.Start]             = [Submitted,   No,        No,         No,        Submitted, Submitted, Submitted, No],
        [Act.Stop]              = [No,          Stopped,   Stopped,    Stopped,   No,        No,        No,        Stopped],
        [Act.RequestStop]       = [No,          No,        No,         Stopping,  No,        No,        No,        No],
        [Act.ClearCredentials]  = [NotStarted,  No,        No,         No,        Completed, Failed,    Stopped,   No],
        [Act.Delete]            = [NotStarted,  No,        No,         No,        Completed, Failed,    Stopped,   No],
        [Act.Edit]              = [NotStarted,  No,        No,         No,        Completed, Failed,    Stopped,   No],
        [Act.AcceptCredentials] = [No,          No,        Submitted,  No,        No,        No,        No,        No],
        [Act.RejectCredentials] = [No,          No,        Failed,     No,        No,        No,        No,        No],
        [Act.BeginPass]         = [No,          Migrating, No,         No,        No,        No,        No,        No],
        [Act.RecordProgress]    = [No,          No,        No,         Migrating, No,        No,        No,        Stopping],
        [Act.CompletePass]      = [No,          No,        No,         Completed, No,        No,        No,        No],
        [Act.Fail]              = [No,          Failed,    Failed,     Failed,    No,        No,        No,        Failed],
    };

    private static MailboxStatus? ExpectedAfter(MailboxStatus from, Act act) =>
        Expected[act][Array.IndexOf(Columns, from)];

    public static TheoryData<MailboxStatus, Act, MailboxStatus> AllowedPairs()
    {
        var data = new TheoryData<MailboxStatus, Act, MailboxStatus>();
        foreach (var act in Enum.GetValues<Act>())
            foreach (var from in Columns)
                if (ExpectedAfter(from, act) is { } to)
                    data.Add(from, act, to);
        return data;
    }

    public static TheoryData<MailboxStatus, Act> ForbiddenPairs()
    {
        var data = new TheoryData<MailboxStatus, Act>();
        foreach (var act in Enum.GetValues<Act>())
            foreach (var from in Columns)
                if (ExpectedAfter(from, act) is null)
                    data.Add(from, act);
        return data;
    }

    public static TheoryData<MailboxStatus, Act> AllPairs()
    {
        var data = new TheoryData<MailboxStatus, Act>();
        foreach (var act in Enum.GetValues<Act>())
            foreach (var from in Columns)
                data.Add(from, act);
        return data;
    }

    [Fact]
    public void ExpectationTable_EveryStatusAndAction_HasACell()
    {
        Assert.Equal(Enum.GetValues<MailboxStatus>().Order(), Columns.Order());
        Assert.Equal(Enum.GetValues<Act>().Order(), Expected.Keys.Order());
        Assert.All(Expected.Values, row => Assert.Equal(Columns.Length, row.Length));
    }

    [Theory]
    [MemberData(nameof(AllStatuses))]
    public void InStatus_EachStatus_ReachesItThroughPublicMethods(MailboxStatus status)
    {
        var scenario = new MailboxScenario();

        var mailbox = scenario.InStatus(status);

        Assert.Equal(status, mailbox.Status);
    }

    [Theory]
    [MemberData(nameof(AllowedPairs))]
    public void Action_AllowedStatus_EndsInExpectedStatus(MailboxStatus from, Act act, MailboxStatus expected)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(from);

        Apply(scenario, mailbox, act);

        Assert.Equal(expected, mailbox.Status);
    }

    [Theory]
    [MemberData(nameof(ForbiddenPairs))]
    public void Action_ForbiddenStatus_ThrowsAndChangesNothing(MailboxStatus from, Act act)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(from);
        var spare = SpareRequest();
        var available = scenario.Pool.Available;
        var movements = scenario.Pool.Movements.Count;
        var license = mailbox.License;
        var version = mailbox.Version;
        var events = mailbox.Events.Count;
        var requestStates = mailbox.CredentialRequests.Select(r => r.State).ToList();
        var sourcePassword = mailbox.Source.ProtectedPassword;
        var destinationPassword = mailbox.Destination.ProtectedPassword;

        var error = Assert.Throws<MailboxTransitionException>(() => Apply(scenario, mailbox, act, spare));

        Assert.Equal(from, mailbox.Status);
        Assert.Equal(available, scenario.Pool.Available);
        Assert.Equal(movements, scenario.Pool.Movements.Count);
        Assert.Equal(license, mailbox.License);
        Assert.Equal(version, mailbox.Version);
        Assert.Equal(events, mailbox.Events.Count);
        Assert.Equal(requestStates, mailbox.CredentialRequests.Select(r => r.State));
        Assert.Equal(sourcePassword, mailbox.Source.ProtectedPassword);
        Assert.Equal(destinationPassword, mailbox.Destination.ProtectedPassword);
        Assert.Equal(CredentialRequestState.Pending, spare.State);
        // The admin is told where the item stands, in the words the dashboard shows.
        Assert.Contains(from.ToDisplay(), error.Message);
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Allows_EveryStatusAndAction_AgreesWithExpectationTable(MailboxStatus from, Act act)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(from);

        // The dashboard shows or hides buttons with Allows; it must say what the methods do.
        Assert.Equal(ExpectedAfter(from, act) is not null, mailbox.Allows(ToDomainAction(act)));
    }

    [Fact]
    public void Delete_WaitingForUser_TellsAdminToStopFirst()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(WaitingForUser);

        var error = Assert.Throws<MailboxTransitionException>(() => mailbox.Delete(scenario.Now));

        Assert.Contains("Stop it first", error.Message);
    }

    [Theory]
    [InlineData(Submitted)]
    [InlineData(Migrating)]
    public void Delete_EngineOwnsItem_Refused(MailboxStatus from)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(from);

        var error = Assert.Throws<MailboxTransitionException>(() => mailbox.Delete(scenario.Now));

        Assert.Contains("Stop it first", error.Message);
        Assert.Equal(from, mailbox.Status);
    }

    [Fact]
    public void Stop_Migrating_EndsRunningPassAsStopped()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(Migrating);
        scenario.Clock.Advance(TimeSpan.FromMinutes(5));

        scenario.Stop(mailbox);

        var pass = Assert.Single(mailbox.Passes);
        Assert.Equal(PassOutcome.Stopped, pass.Outcome);
        Assert.Equal(scenario.Now, pass.EndedAt);
    }

    [Fact]
    public void Fail_Migrating_RecordsReasonAndEndsPassAsFailed()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(Migrating);

        scenario.Fail(mailbox, FailureReason.SourceUnreachable("connection refused"));

        Assert.Equal(Failed, mailbox.Status);
        Assert.Equal("Source server unreachable: connection refused", mailbox.Failure?.Text);
        Assert.Equal(PassOutcome.Failed, Assert.Single(mailbox.Passes).Outcome);
    }

    [Fact]
    public void Start_Failed_ClearsFailureReason()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(Failed);

        scenario.Start(mailbox);

        Assert.Null(mailbox.Failure);
    }

    [Fact]
    public void Action_AllowedMove_RecordsEventWithActorTimeAndStatuses()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();
        scenario.Clock.Advance(TimeSpan.FromHours(1));

        scenario.Start(mailbox, actor: "bob@example.test");

        var last = mailbox.Events.Last();
        Assert.Equal("bob@example.test", last.Actor);
        Assert.Equal(scenario.Now, last.At);
        Assert.Equal(NotStarted, last.FromStatus);
        Assert.Equal(Submitted, last.ToStatus);
        Assert.Equal(scenario.Now, mailbox.StatusChangedAt);
    }

    [Theory]
    [InlineData(NotStarted, "Not Started")]
    [InlineData(Submitted, "Submitted")]
    [InlineData(WaitingForUser, "Waiting for User")]
    [InlineData(Migrating, "Migrating")]
    [InlineData(Completed, "Completed")]
    [InlineData(Failed, "Failed")]
    [InlineData(Stopped, "Stopped")]
    public void ToDisplay_EachStatus_ShowsProductWording(MailboxStatus status, string expected)
    {
        Assert.Equal(expected, status.ToDisplay());
    }

    [Theory]
    [InlineData(NotStarted, false)]
    [InlineData(Submitted, true)]
    [InlineData(WaitingForUser, true)]
    [InlineData(Migrating, true)]
    [InlineData(Completed, false)]
    [InlineData(Failed, false)]
    [InlineData(Stopped, false)]
    public void IsActive_EachStatus_TrueOnlyWhileUserOrEngineOwnsIt(MailboxStatus status, bool expected)
    {
        Assert.Equal(expected, status.IsActive());
    }

    public static TheoryData<MailboxStatus> AllStatuses() => new(Enum.GetValues<MailboxStatus>());

    private static void Apply(MailboxScenario scenario, Mailbox mailbox, Act act, CredentialRequest? spare = null)
    {
        // The link's actions need a request; an item that is not waiting has none pending, so a
        // spare from another scenario stands in (the status check must refuse before it is looked at).
        CredentialRequest Request() =>
            mailbox.CredentialRequests.FirstOrDefault(r => r.State == CredentialRequestState.Pending) ?? spare ?? SpareRequest();
        var now = scenario.Now;
        switch (act)
        {
            case Act.Start:
                scenario.Start(mailbox);
                break;
            case Act.Stop:
                scenario.Stop(mailbox);
                break;
            case Act.RequestStop:
                mailbox.RequestStop(MailboxScenario.Admin, now);
                break;
            case Act.ClearCredentials:
                mailbox.ClearCredentials(source: true, destination: true, MailboxScenario.Admin, now);
                break;
            case Act.Delete:
                mailbox.Delete(now);
                break;
            case Act.Edit:
                mailbox.Edit(MailboxScenario.Known("bob@source.test"), MailboxScenario.Known("bob@destination.test"),
                    "bob@example.test", MailboxScenario.Admin, now);
                break;
            case Act.AcceptCredentials:
                // The Waiting for User fixture asks for the source only.
                mailbox.AcceptCredentials(Request(), ("alice", "cipher:typed-by-alice"), null, now);
                break;
            case Act.RejectCredentials:
                mailbox.RejectCredentials(Request(), sourceWrong: true, destinationWrong: false, scenario.Pool, now);
                break;
            case Act.BeginPass:
                mailbox.BeginPass(now);
                break;
            case Act.RecordProgress:
                mailbox.RecordProgress(3, 300);
                break;
            case Act.CompletePass:
                scenario.CompletePass(mailbox);
                break;
            case Act.Fail:
                scenario.Fail(mailbox);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(act), act, null);
        }
    }

    private static CredentialRequest SpareRequest()
    {
        var other = new MailboxScenario();
        return other.Start(other.NewMailbox(sourceKnown: false))!.Request;
    }

    private static MailboxAction ToDomainAction(Act act) => act switch
    {
        Act.Start => MailboxAction.Start,
        Act.Stop => MailboxAction.Stop,
        Act.RequestStop => MailboxAction.RequestStop,
        Act.ClearCredentials => MailboxAction.ClearCredentials,
        Act.Delete => MailboxAction.Delete,
        Act.Edit => MailboxAction.Edit,
        Act.AcceptCredentials or Act.RejectCredentials => MailboxAction.SubmitCredentials,
        Act.BeginPass => MailboxAction.BeginPass,
        Act.RecordProgress => MailboxAction.RecordProgress,
        Act.CompletePass => MailboxAction.CompletePass,
        Act.Fail => MailboxAction.Fail,
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, null),
    };
}
