namespace MigrationPortal.Engine.Passes;

/// <summary>What a pass copies. Every kind copies nothing twice: the checkpoints decide what is already there.</summary>
public enum PassKind
{
    /// <summary>Every folder is opened and every message not yet copied is copied.</summary>
    Full = 0,

    /// <summary>Only what changed since the last pass: folders whose STATUS did not change are not opened.</summary>
    Delta = 1,

    /// <summary>Like Full, but only messages whose INTERNALDATE is before <see cref="PassOptions.PreStageBefore"/>.</summary>
    PreStage = 2,

    /// <summary>Only the messages that the destination refused in earlier passes.</summary>
    RetryErrors = 3,
}

public sealed record PassOptions
{
    public static readonly PassOptions Full = new();

    public PassKind Kind { get; init; } = PassKind.Full;

    /// <summary>For <see cref="PassKind.PreStage"/>: messages received before this instant are copied, later ones wait.</summary>
    public DateTimeOffset? PreStageBefore { get; init; }

    public static PassOptions PreStage(DateTimeOffset before) => new() { Kind = PassKind.PreStage, PreStageBefore = before };
}
