namespace MigrationPortal.Data.Checkpoints;

/// <summary>
/// One batch's part of the map of copied messages: the source folder's UIDs and the destination UIDs they became, in
/// the same order, as IMAP uid-set text (the engine's UidList), so a batch of 50 messages copied in order is a
/// row of a few bytes. Written in the batch's transaction, with its checkpoint; never updated.
/// </summary>
public sealed class CopiedMessagesRow
{
    private CopiedMessagesRow() { SourceFolder = ""; SourceUids = ""; DestinationUids = ""; }

    public CopiedMessagesRow(int mailboxId, string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, string sourceUids, string destinationUids)
    {
        MailboxId = mailboxId;
        SourceFolder = sourceFolder;
        SourceUidValidity = sourceUidValidity;
        DestinationUidValidity = destinationUidValidity;
        SourceUids = sourceUids;
        DestinationUids = destinationUids;
    }

    public long Id { get; private set; }
    public int MailboxId { get; private set; }
    public string SourceFolder { get; private set; }

    /// <summary>Unsigned 32-bit numbers, kept as longs like the checkpoint's.</summary>
    public long SourceUidValidity { get; private set; }
    public long DestinationUidValidity { get; private set; }

    public string SourceUids { get; private set; }
    public string DestinationUids { get; private set; }
}
