using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Data.Statistics;
using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Web.Worker;

/// <summary>
/// The pass's checkpoints in the portal's database, every write fenced by the worker's claim: a worker that lost its
/// claim writes nothing and its pass ends. Each batch's progress with its checkpoint, and each finished folder's
/// statistics, go through the <see cref="PassProgressWriter"/>; the pass's inventory, once, through the mailbox unit of work.
/// </summary>
public sealed class DatabaseCheckpointStore(PortalDbContext db, MailboxUnitOfWork unitOfWork, PassProgressWriter progress, Claim claim) : ICheckpointStore
{
    public async Task<FolderCheckpoint?> GetAsync(string sourceFolder, CancellationToken ct)
    {
        var row = await db.FolderCheckpoints.AsNoTracking()
            .SingleOrDefaultAsync(c => c.MailboxId == claim.MailboxId && c.SourceFolder == sourceFolder, ct);
        return row is null ? null : new FolderCheckpoint(row.SourceFolder, (uint)row.UidValidity, (uint)row.HighestCopiedUid,
            (uint?)row.JournalDestinationUidValidity, (uint?)row.JournalDestinationUidNext,
            row is { SourceUidNext: { } next, SourceMessages: { } messages } ? new FolderStatus((uint)next, messages, row.SourceHighestModSeq) : null,
            (uint?)row.DestinationUidValidity);
    }

    public async Task<IReadOnlyList<FailedMessage>> GetFailedAsync(CancellationToken ct) =>
        await db.FailedMessages.AsNoTracking().Where(f => f.MailboxId == claim.MailboxId).OrderBy(f => f.Id)
            .Select(f => new FailedMessage(f.Folder, (uint)f.Uid, f.Subject, f.Size, f.ServerAnswer)).ToListAsync(ct);

    public async Task<IReadOnlyDictionary<uint, uint>> GetCopiesAsync(string sourceFolder, uint sourceUidValidity, uint destinationUidValidity, CancellationToken ct)
    {
        long source = sourceUidValidity, destination = destinationUidValidity;
        var parts = await db.CopiedMessages.AsNoTracking()
            .Where(c => c.MailboxId == claim.MailboxId && c.SourceFolder == sourceFolder && c.SourceUidValidity == source && c.DestinationUidValidity == destination)
            .OrderBy(c => c.Id).Select(c => new { c.SourceUids, c.DestinationUids }).ToListAsync(ct);
        var map = new Dictionary<uint, uint>();
        foreach (var part in parts) UidList.AddPairs(map, part.SourceUids, part.DestinationUids);
        return map;
    }

    /// <summary>On the running pass's row, like progress: the dashboard's progress bar measures against it.</summary>
    public Task ReportFoundAsync(PassInventory found, CancellationToken ct) =>
        SaveThroughClaimAsync((work, _) =>
        {
            work.Mailbox.RecordInventory(found.Folders, found.Messages, found.Bytes);
            return Task.CompletedTask;
        }, ct);

    public Task SaveFolderAsync(FolderStatistics folder, CancellationToken ct) => SaveFoldersAsync([folder], ct);

    /// <summary>All in one transaction: a Delta's unchanged folders cost one write, not one each.</summary>
    public Task SaveFoldersAsync(IReadOnlyList<FolderStatistics> folders, CancellationToken ct) =>
        WriteProgressAsync(async (work, token) =>
        {
            var names = folders.Select(f => f.SourceFolder).ToList();
            var rows = await work.Db.FolderStatistics
                .Where(f => f.MailboxId == work.MailboxId && f.PassNumber == work.PassNumber && names.Contains(f.SourceFolder))
                .ToDictionaryAsync(f => f.SourceFolder, StringComparer.Ordinal, token);
            foreach (var folder in folders)
            {
                if (!rows.TryGetValue(folder.SourceFolder, out var row))
                    work.Db.FolderStatistics.Add(rows[folder.SourceFolder] = row = new FolderStatisticsRow(work.MailboxId, work.PassNumber, folder.SourceFolder, folder.DestinationFolder));
                row.Record(folder.DestinationFolder, folder.MessagesFound, folder.BytesFound, folder.MessagesCopied, folder.BytesCopied,
                    folder.MessagesSkipped, folder.MessagesFailed, folder.Duration, work.Now);
            }
        }, ct);

    public Task SaveAsync(BatchProgress batch, CancellationToken ct) =>
        WriteProgressAsync(async (work, token) =>
        {
            await PassProgressWriter.AddToPassAsync(work, batch.Messages, batch.Bytes, token);
            var folder = batch.Checkpoint.SourceFolder;
            if (batch.Messages > 0 || batch.Bytes > 0 || batch.Failed is { Count: > 0 })
            {
                // The folder's share too, batch by batch, so a folder a crash cut off keeps what this pass did in it.
                var statistics = await work.Db.FolderStatistics.SingleOrDefaultAsync(
                    f => f.MailboxId == work.MailboxId && f.PassNumber == work.PassNumber && f.SourceFolder == folder, token);
                if (statistics is null)
                    work.Db.FolderStatistics.Add(statistics = new FolderStatisticsRow(work.MailboxId, work.PassNumber, folder, destinationFolder: ""));
                statistics.AddProgress(batch.Messages, batch.Bytes, batch.Failed?.Count ?? 0, work.Now);
            }
            var row = await work.Db.FolderCheckpoints.SingleOrDefaultAsync(c => c.MailboxId == work.MailboxId && c.SourceFolder == folder, token);
            if (row is null)
                work.Db.FolderCheckpoints.Add(row = new FolderCheckpointRow(work.MailboxId, folder));
            foreach (var failed in batch.Failed ?? [])
            {
                long uid = failed.Uid;
                var listed = await work.Db.FailedMessages.SingleOrDefaultAsync(
                    f => f.MailboxId == work.MailboxId && f.Folder == failed.Folder && f.Uid == uid, token);
                if (listed is null)
                    work.Db.FailedMessages.Add(new FailedMessageRow(work.MailboxId, work.PassNumber, failed.Folder, failed.Uid,
                        failed.Subject, failed.Size, failed.ServerAnswer, work.Now));
                else
                    listed.RefusedAgain(work.PassNumber, failed.Subject, failed.Size, failed.ServerAnswer, work.Now);
            }
            // Copied at last (Retry Errors, or a later pass): no longer listed as not copied.
            foreach (var recovered in batch.Recovered ?? [])
            {
                long uid = recovered.Uid;
                await work.Db.FailedMessages.Where(f => f.MailboxId == work.MailboxId && f.Folder == recovered.Folder && f.Uid == uid)
                    .ExecuteDeleteAsync(token);
            }
            var c = batch.Checkpoint;
            // A new source UIDVALIDITY: the map's old UIDs name messages that are gone.
            if (row.UidValidity != 0 && row.UidValidity != c.UidValidity)
            {
                long current = c.UidValidity;
                await work.Db.CopiedMessages.Where(m => m.MailboxId == work.MailboxId && m.SourceFolder == folder && m.SourceUidValidity != current)
                    .ExecuteDeleteAsync(token);
            }
            // A new destination folder (deleted, or deleted and made again): the map names messages that are gone.
            if (row.DestinationUidValidity is { } before && c.DestinationUidValidity is { } now && before != now)
            {
                long current = now;
                await work.Db.CopiedMessages.Where(m => m.MailboxId == work.MailboxId && m.SourceFolder == folder && m.DestinationUidValidity != current)
                    .ExecuteDeleteAsync(token);
            }
            if (batch.Copies is { Count: > 0 } copies)
                work.Db.CopiedMessages.Add(new CopiedMessagesRow(work.MailboxId, folder, copies.SourceUidValidity, copies.DestinationUidValidity,
                    UidList.Format(copies.Source), UidList.Format(copies.Destination)));
            row.Advance(c.UidValidity, c.HighestCopiedUid, c.JournalDestinationUidValidity, c.JournalDestinationUidNext, work.Now,
                c.SourceStatus?.UidNext, c.SourceStatus?.Messages, c.SourceStatus?.HighestModSeq, c.DestinationUidValidity);
        }, ct);

    /// <summary>
    /// A batch's progress and checkpoint, a finished folder's statistics: rows of the running pass, not the mailbox,
    /// written in one transaction fenced by the claim (<see cref="PassProgressWriter"/>) so a busy pass costs a few
    /// statements per batch and never bumps the mailbox's version.
    /// </summary>
    private async Task WriteProgressAsync(Func<PassProgressWork, CancellationToken, Task> write, CancellationToken ct)
    {
        bool written;
        try
        {
            written = await progress.WriteAsync(claim, write, ct);
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            throw new CheckpointRefusedException(MailboxOutcome.BusyText);
        }
        if (!written)
            throw new CheckpointRefusedException(MailboxOutcome.ClaimLostText);
    }

    /// <summary>
    /// Through the mailbox unit of work, fenced by the claim; it changes the running pass, not the mailbox row, so the
    /// mailbox's version stays and an admin's Stop is never turned away by the pass.
    /// </summary>
    private async Task SaveThroughClaimAsync(Func<MailboxWork, CancellationToken, Task> apply, CancellationToken ct)
    {
        var outcome = await unitOfWork.RunAsync(claim.MailboxId, null, apply, ct, claim);
        if (!outcome.Applied)
            throw new CheckpointRefusedException(outcome.Reason ?? outcome.Kind.ToString());
    }
}

/// <summary>The batch's progress could not be saved (the claim was lost, the mailbox deleted): the pass must end.</summary>
public sealed class CheckpointRefusedException(string reason) : Exception($"The pass's progress was not saved: {reason}");
