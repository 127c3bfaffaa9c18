using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Engine.Passes;

/// <param name="MessagesSkipped">Already in the destination: below the checkpoint, or matched by Message-ID and date.</param>
public sealed record PassResult(
    int Folders,
    int MessagesFound,
    int MessagesCopied,
    long BytesCopied,
    int MessagesSkipped,
    IReadOnlyList<FailedMessage> FailedMessages,
    bool Stopped);
