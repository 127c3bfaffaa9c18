namespace MigrationPortal.Engine.Passes;

/// <summary>A message the destination refused; the pass goes on without it.</summary>
public sealed record FailedMessage(string Folder, uint Uid, string? Subject, long Size, string ServerAnswer);

/// <summary>A folder the pass could not copy, and why.</summary>
public sealed record FailedFolder(string Folder, string Reason);

public sealed record PassResult(
    int Folders,
    int MessagesFound,
    int MessagesCopied,
    long BytesCopied,
    int MessagesSkipped,
    IReadOnlyList<FailedMessage> FailedMessages,
    IReadOnlyList<FailedFolder> FailedFolders,
    bool Stopped);
