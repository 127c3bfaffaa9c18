namespace MigrationPortal.Data.Checkpoints;

/// <summary>How far a mailbox's copy of one source folder has come: saved with each batch, in the batch's transaction.</summary>
public sealed class FolderCheckpointRow
{
    private FolderCheckpointRow() { SourceFolder = ""; }

    public FolderCheckpointRow(int mailboxId, string sourceFolder)
    {
        MailboxId = mailboxId;
        SourceFolder = sourceFolder;
    }

    public int MailboxId { get; private set; }
    public string SourceFolder { get; private set; }

    /// <summary>The source folder's UIDVALIDITY (an unsigned 32-bit number, kept as a long).</summary>
    public long UidValidity { get; private set; }
    public long HighestCopiedUid { get; private set; }

    /// <summary>While a batch is appended: the destination folder's UIDVALIDITY and UIDNEXT before it (see FolderCheckpoint).</summary>
    public long? JournalDestinationUidValidity { get; private set; }
    public long? JournalDestinationUidNext { get; private set; }

    /// <summary>
    /// Once the folder is done: its source STATUS as listed then (UIDNEXT, MESSAGES, HIGHESTMODSEQ), which a Delta
    /// compares before opening it. Null while a batch is in flight or after a Stop.
    /// </summary>
    public long? SourceUidNext { get; private set; }
    public int? SourceMessages { get; private set; }
    public long? SourceHighestModSeq { get; private set; }

    /// <summary>The UIDVALIDITY of the destination folder the copies went into (see FolderCheckpoint); null in rows from before it was kept.</summary>
    public long? DestinationUidValidity { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public void Advance(uint uidValidity, uint highestCopiedUid, uint? journalUidValidity, uint? journalUidNext, DateTimeOffset now,
        uint? sourceUidNext = null, int? sourceMessages = null, long? sourceHighestModSeq = null, uint? destinationUidValidity = null)
    {
        UidValidity = uidValidity;
        HighestCopiedUid = highestCopiedUid;
        JournalDestinationUidValidity = journalUidValidity;
        JournalDestinationUidNext = journalUidNext;
        SourceUidNext = sourceUidNext;
        SourceMessages = sourceMessages;
        SourceHighestModSeq = sourceHighestModSeq;
        DestinationUidValidity = destinationUidValidity;
        UpdatedAt = now;
    }
}
