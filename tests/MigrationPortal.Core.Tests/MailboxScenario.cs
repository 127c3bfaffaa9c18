using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests;

/// <summary>
/// One test's world: a fake clock, a license pool and the rules, plus mailboxes made and moved
/// through the aggregate's public methods only, so a test can't reach a state the product can't.
/// </summary>
internal sealed class MailboxScenario
{
    public const string Admin = "admin@example.test";
    public const string Engine = "migration engine";
    public const string NotifyEmail = "alice@example.test";
    public const string SourceEmail = "alice@source.test";
    public const string DestinationEmail = "alice@destination.test";

    public static readonly DateTimeOffset StartTime = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private int _lastId = 41;

    public MailboxScenario(int licenses = 10, MailboxRules? rules = null)
    {
        Clock = new FakeTimeProvider(StartTime);
        Rules = rules ?? MailboxRules.Default;
        Pool = new LicensePool();
        if (licenses > 0)
            Pool.Add(licenses, Admin, Now, "Test licenses");
    }

    public FakeTimeProvider Clock { get; }
    public LicensePool Pool { get; }
    public MailboxRules Rules { get; }
    public DateTimeOffset Now => Clock.GetUtcNow();

    public static MailboxCredentials Known(string email) => new(email, $"login-{email}", $"cipher:{email}");
    public static MailboxCredentials Unknown(string email) => new(email, null, null);

    public Mailbox NewMailbox(bool sourceKnown = true, bool destinationKnown = true)
    {
        var mailbox = new Mailbox(projectId: 7,
            sourceKnown ? Known(SourceEmail) : Unknown(SourceEmail),
            destinationKnown ? Known(DestinationEmail) : Unknown(DestinationEmail),
            NotifyEmail, Admin, Now);
        // The database assigns ids; each mailbox gets its own so that ledger and link checks mean something.
        typeof(Mailbox).GetProperty(nameof(Mailbox.Id))!.SetValue(mailbox, ++_lastId);
        return mailbox;
    }

    public IssuedCredentialRequest? Start(Mailbox mailbox, string actor = Admin, PassRequest? pass = null, int failedMessages = 0) =>
        mailbox.Start(Pool, Rules, actor, Now, pass, failedMessages);

    public void Stop(Mailbox mailbox, string actor = Admin) => mailbox.Stop(Pool, actor, Now);

    public void Fail(Mailbox mailbox, FailureReason? reason = null) =>
        mailbox.Fail(reason ?? FailureReason.MigrationError("connection reset"), Pool, Engine, Now);

    public void CompletePass(Mailbox mailbox) => mailbox.CompletePass(Pool, Now);

    /// <summary>Begins a pass and records what it moved, leaving the item Migrating.</summary>
    public void BeginPass(Mailbox mailbox, int items = 0, long bytes = 0)
    {
        mailbox.BeginPass(Now);
        if (items > 0 || bytes > 0)
            mailbox.RecordProgress(items, bytes);
    }

    /// <summary>Start (with both sides known), one full pass, Completed.</summary>
    public void RunToCompletion(Mailbox mailbox, int items = 1, long bytes = 100)
    {
        Start(mailbox);
        BeginPass(mailbox, items, bytes);
        CompletePass(mailbox);
    }

    public CredentialRequest PendingRequest(Mailbox mailbox) =>
        mailbox.CredentialRequests.Single(r => r.State == CredentialRequestState.Pending);

    /// <summary>A fresh mailbox driven into the status. Both sides are known except for Waiting for User, where the source is unknown.</summary>
    public Mailbox InStatus(MailboxStatus status)
    {
        var mailbox = NewMailbox(sourceKnown: status != MailboxStatus.WaitingForUser);
        switch (status)
        {
            case MailboxStatus.NotStarted:
                break;
            case MailboxStatus.WaitingForUser:
            case MailboxStatus.Submitted:
                Start(mailbox);
                break;
            case MailboxStatus.Migrating:
                Start(mailbox);
                BeginPass(mailbox);
                break;
            case MailboxStatus.Completed:
                RunToCompletion(mailbox);
                break;
            case MailboxStatus.Failed:
                Start(mailbox);
                Fail(mailbox);
                break;
            case MailboxStatus.Stopped:
                Start(mailbox);
                Stop(mailbox);
                break;
            case MailboxStatus.Stopping:
                Start(mailbox);
                BeginPass(mailbox);
                mailbox.RequestStop(Admin, Now);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(status), status, "No route to this status.");
        }
        return mailbox;
    }
}
