namespace MigrationPortal.Core.Mailboxes;

/// <summary>What a pass copies. Every kind copies nothing twice: the checkpoints decide what is already there.</summary>
public enum PassKind
{
    /// <summary>Every folder is opened and every message not yet copied is copied.</summary>
    Full = 0,

    /// <summary>Only what changed since the last pass: folders whose STATUS did not change are not opened.</summary>
    Delta = 1,

    /// <summary>Like Full, but only messages whose INTERNALDATE is before the pass's Pre-Stage date.</summary>
    PreStage = 2,

    /// <summary>Only the messages that the destination refused in earlier passes. Free: no license is held or counted.</summary>
    RetryErrors = 3,
}

/// <summary>The pass an admin asked for with Start: its kind and, for Pre-Stage only, the date before which mail is copied.</summary>
public sealed record PassRequest
{
    public static readonly PassRequest Full = new(PassKind.Full, null);

    public const string PreStageNeedsDateMessage = "Pre-Stage needs a date: only mail older than that date is copied.";
    public const string NothingToRetryMessage = "It has no failed messages: nothing to retry.";

    private PassRequest(PassKind kind, DateTimeOffset? preStageBefore)
    {
        Kind = kind;
        PreStageBefore = preStageBefore;
    }

    public PassKind Kind { get; }

    /// <summary>For <see cref="PassKind.PreStage"/>: mail received before this instant is copied, later mail waits.</summary>
    public DateTimeOffset? PreStageBefore { get; }

    /// <summary>Retry Errors moves only what failed before and is free; the other kinds use the mailbox's license.</summary>
    public bool UsesLicense => Kind != PassKind.RetryErrors;

    /// <exception cref="DomainValidationException">An unknown kind, Pre-Stage without a date, or a date for another kind.</exception>
    public static PassRequest Create(PassKind kind, DateTimeOffset? preStageBefore = null)
    {
        if (!Enum.IsDefined(kind))
            throw new DomainValidationException("Choose a pass type: Full, Delta, Pre-Stage or Retry Errors.");
        if (kind == PassKind.PreStage && preStageBefore is null)
            throw new DomainValidationException(PreStageNeedsDateMessage);
        if (kind != PassKind.PreStage && preStageBefore is not null)
            throw new DomainValidationException($"Only a Pre-Stage pass takes a date; a {kind.ToDisplay()} pass copies mail of every date.");
        return new PassRequest(kind, preStageBefore);
    }
}

public static class PassKindText
{
    public static string ToDisplay(this PassKind kind) => kind switch
    {
        PassKind.Full => "Full",
        PassKind.Delta => "Delta",
        PassKind.PreStage => "Pre-Stage",
        PassKind.RetryErrors => "Retry Errors",
        _ => kind.ToString(),
    };
}
