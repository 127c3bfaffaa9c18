using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// The pass's checkpoints in the portal's database. Each batch's progress and its checkpoint are saved together
/// through the mailbox unit of work, fenced by the worker's claim: a worker that lost its claim writes nothing and
/// its pass ends.
/// </summary>
public sealed class DatabaseCheckpointStore(PortalDbContext db, MailboxUnitOfWork unitOfWork, Claim claim) : ICheckpointStore
{
    public async Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct)
    {
        var row = await db.FolderCheckpoints.AsNoTracking()
            .SingleOrDefaultAsync(c => c.MailboxId == claim.MailboxId && c.SourceFolder == sourceFolder, ct);
        return row is null ? null : new FolderCheckpoint(row.SourceFolder, (uint)row.UidValidity, (uint)row.HighestCopiedUid,
            (uint?)row.JournalDestinationUidValidity, (uint?)row.JournalDestinationUidNext);
    }

    public async Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct) =>
        await db.FailedMessages.AsNoTracking().Where(f => f.MailboxId == claim.MailboxId).OrderBy(f => f.Id)
            .Select(f => new FailedMessage(f.Folder, (uint)f.Uid, f.Subject, f.Size, f.ServerAnswer)).ToListAsync(ct);

    // TODO(statistics): the pass's inventory and per-folder statistics get their own rows with the dashboard's progress bar.
    public Task ReportFoundAsync(PassInventory found, CancellationToken ct) => Task.CompletedTask;

    public Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct) => Task.CompletedTask;

    public async Task SaveAsync(BatchProgress batch, CancellationToken ct)
    {
        var outcome = await unitOfWork.RunAsync(claim.MailboxId, null, async (work, token) =>
        {
            if (batch.Messages > 0 || batch.Bytes > 0)
                work.Mailbox.RecordProgress(batch.Messages, batch.Bytes);
            var row = await work.Db.FolderCheckpoints.SingleOrDefaultAsync(
                c => c.MailboxId == claim.MailboxId && c.SourceFolder == batch.Checkpoint.SourceFolder, token);
            if (row is null)
                work.Db.FolderCheckpoints.Add(row = new FolderCheckpointRow(claim.MailboxId, batch.Checkpoint.SourceFolder));
            foreach (var failed in batch.Failed ?? [])
                work.Db.FailedMessages.Add(new FailedMessageRow(claim.MailboxId, work.Mailbox.PassCount, failed.Folder, failed.Uid,
                    failed.Subject, failed.Size, failed.ServerAnswer, work.Now));
            var c = batch.Checkpoint;
            row.Advance(c.UidValidity, c.HighestCopiedUid, c.JournalDestinationUidValidity, c.JournalDestinationUidNext, work.Now);
        }, ct, claim);
        if (!outcome.Applied)
            throw new CheckpointRefusedException(outcome.Reason ?? outcome.Kind.ToString());
    }
}

/// <summary>The batch's progress could not be saved (the claim was lost, the mailbox deleted): the pass must end.</summary>
public sealed class CheckpointRefusedException(string reason) : Exception($"The pass's progress was not saved: {reason}");
