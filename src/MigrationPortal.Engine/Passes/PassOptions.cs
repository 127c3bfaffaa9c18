// PassKind lives in Core (the mailbox remembers the kind an admin asked for); the alias keeps the engine's files unchanged.
global using PassKind = MigrationPortal.Core.Mailboxes.PassKind;

namespace MigrationPortal.Engine.Passes;

public sealed record PassOptions
{
    public static readonly PassOptions Full = new();

    public PassKind Kind { get; init; } = PassKind.Full;

    /// <summary>For <see cref="PassKind.PreStage"/>: messages received before this instant are copied, later ones wait.</summary>
    public DateTimeOffset? PreStageBefore { get; init; }

    /// <summary>
    /// Past this many messages refused by the destination (in the whole pass) the pass ends at the next batch, as a
    /// Stop would, with <see cref="PassResult.TooManyRefused"/>: a destination that refuses everything (a full quota,
    /// say) is not worth the rest of the mailbox. Null: no limit.
    /// </summary>
    public int? MaxMessageErrors { get; init; }

    public static PassOptions PreStage(DateTimeOffset before) => new() { Kind = PassKind.PreStage, PreStageBefore = before };
}
