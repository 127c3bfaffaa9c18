namespace MigrationPortal.Data.Statistics;

/// <summary>One folder's share of one pass: what was found in the source folder and what became of it.</summary>
public sealed class FolderStatisticsRow
{
    private FolderStatisticsRow() { SourceFolder = ""; DestinationFolder = ""; }

    public FolderStatisticsRow(int mailboxId, int passNumber, string sourceFolder, string destinationFolder)
    {
        MailboxId = mailboxId;
        PassNumber = passNumber;
        SourceFolder = sourceFolder;
        DestinationFolder = destinationFolder;
    }

    public long Id { get; private set; }
    public int MailboxId { get; private set; }
    public int PassNumber { get; private set; }
    public string SourceFolder { get; private set; }
    public string DestinationFolder { get; private set; }
    public int MessagesFound { get; private set; }
    public long BytesFound { get; private set; }
    public int MessagesCopied { get; private set; }
    public long BytesCopied { get; private set; }
    public int MessagesSkipped { get; private set; }
    public int MessagesFailed { get; private set; }
    public TimeSpan Duration { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>
    /// Records what the pass did with the folder. A folder finished a second time in the same pass (the pass resumed
    /// after a crash or a shutdown) keeps what the first run copied and refused: the second run finds those below its
    /// checkpoint and reports them as skipped, but to the admin they were this pass's work.
    /// </summary>
    public void Record(string destinationFolder, int found, long bytesFound, int copied, long bytesCopied, int skipped, int failed,
        TimeSpan duration, DateTimeOffset now)
    {
        var earlier = MessagesCopied + MessagesFailed;
        DestinationFolder = destinationFolder;
        MessagesFound = found;
        BytesFound = bytesFound;
        MessagesCopied += copied;
        BytesCopied += bytesCopied;
        MessagesFailed += failed;
        MessagesSkipped = Math.Max(0, skipped - earlier);
        Duration += duration;
        UpdatedAt = now;
    }
}
