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

    /// <summary>
    /// Messages a second the pass may fetch, all its folders together (a project's setting, applied to each of its
    /// mailboxes' passes on its own): for a provider that throttles what it sees as too busy a client (imapsync paces
    /// Office 365 at 4 a second with --office2). Up to one second's worth goes at once. Null: no limit.
    /// </summary>
    public double? MaxMessagesPerSecond { get; init; }

    /// <summary>Bytes a second the pass may fetch, as <see cref="MaxMessagesPerSecond"/>; a message larger than one second's worth still goes, after its share of waiting. Null: no limit.</summary>
    public long? MaxBytesPerSecond { get; init; }

    public static PassOptions PreStage(DateTimeOffset before) => new() { Kind = PassKind.PreStage, PreStageBefore = before };
}
