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
    /// A batch's copies and refusals, saved with the batch: a folder a crash or a shutdown cut off keeps what this pass
    /// already did in it, for whichever worker finishes the folder.
    /// </summary>
    public void AddProgress(int copied, long bytesCopied, int failed, DateTimeOffset now)
    {
        MessagesCopied += copied;
        BytesCopied += bytesCopied;
        MessagesFailed += failed;
        UpdatedAt = now;
    }

    /// <summary>
    /// Records what the pass found in the folder once it is done with it. The copies and refusals are in the row already
    /// (<see cref="AddProgress"/>); what it holds beyond the finishing run's own was done by an earlier run of the same
    /// pass (before a crash or a shutdown), which the finishing run found below its checkpoint and reported as skipped:
    /// to the admin that was this pass's work, not mail already there.
    /// </summary>
    public void Record(string destinationFolder, int found, long bytesFound, int copied, long bytesCopied, int skipped, int failed,
        TimeSpan duration, DateTimeOffset now)
    {
        var earlier = Math.Max(0, MessagesCopied - copied) + Math.Max(0, MessagesFailed - failed);
        DestinationFolder = destinationFolder;
        MessagesFound = found;
        BytesFound = bytesFound;
        MessagesCopied = Math.Max(MessagesCopied, copied);
        BytesCopied = Math.Max(BytesCopied, bytesCopied);
        MessagesFailed = Math.Max(MessagesFailed, failed);
        MessagesSkipped = Math.Max(0, skipped - earlier);
        Duration += duration;
        UpdatedAt = now;
    }
}
