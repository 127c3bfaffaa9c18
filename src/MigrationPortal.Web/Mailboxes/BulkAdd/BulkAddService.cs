using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Data.Concurrency;

namespace MigrationPortal.Web.Mailboxes.BulkAdd;

/// <summary>What Confirm did: every row added, under a report the dashboard shows, or nothing and why.</summary>
/// <param name="Rows">How many rows the preview offered: all added, or (when it may be retried) all still offered.</param>
/// <param name="MayRetry">The same preview may be confirmed again (the database was busy), rather than uploaded again.</param>
public sealed record BulkAddOutcome(int Rows, Guid ReportId, string? Refusal, bool MayRetry)
{
    public static BulkAddOutcome Done(int added, Guid reportId) => new(added, reportId, null, false);

    public static BulkAddOutcome Refused(string why, int rows = 0, bool mayRetry = false) => new(rows, Guid.Empty, why, mayRetry);
}

/// <summary>
/// Bulk Add: a MigrationWiz mailbox list becomes a preview (every bad row and why), and the preview's valid rows become
/// mailboxes on confirm, all of them in one transaction or none.
/// </summary>
public sealed class BulkAddService(
    PortalDbContext db,
    DatabaseWriteGate gate,
    IPasswordProtector passwords,
    BulkAddPayload payloads,
    TimeProvider time,
    ILogger<BulkAddService> logger)
{
    /// <summary>The report's action, as the dashboard names it ("Bulk Add: applied to 9998 mailboxes.").</summary>
    public const string ReportAction = "Bulk Add";

    public const int MaxRows = 20_000;
    public const int MaxFileBytes = 10 * 1024 * 1024;

    /// <summary>
    /// The largest request the page reads: a file of <see cref="MaxFileBytes"/>, or the confirm's hidden field. That field
    /// holds about 320 bytes a row with two known passwords (6.4 MB for 20,000 rows, measured), so this leaves room for
    /// long addresses; a preview whose field would not fit is refused rather than offered (<see cref="PreviewAsync"/>).
    /// </summary>
    public const int MaxRequestBytes = 24 * 1024 * 1024;

    /// <summary>The advisory lock (class, project) a PostgreSQL confirm holds; the class is "MPbk" in ASCII, an arbitrary key of ours.</summary>
    private const int BulkAddLockClass = 0x4D50_626B;

    /// <exception cref="CsvFileRefusedException">The file as a whole cannot be used; the message says why.</exception>
    public async Task<BulkAddPreview> PreviewAsync(int projectId, Stream csv, BulkAddChoices choices, CancellationToken ct)
    {
        var file = await MigrationWizCsv.ReadAsync(csv, MaxRows, ct);
        var existing = await MailboxDuplicates.PairsAsync(db, projectId, exceptMailboxId: null, ct);
        var preview = BulkAddPreview.Check(file, choices, existing, passwords);
        if (preview.ValidRows.Count == 0) return preview;
        var payload = payloads.Protect(projectId, preview.ValidRows);
        // The confirm posts the field back, with the form's other fields and encoding around it.
        if (payload.Length > MaxRequestBytes - 64 * 1024)
            throw new CsvFileRefusedException("The rows of this file are too long to add in one go (long passwords or addresses). Split it into smaller files.");
        return preview with { Payload = payload };
    }

    /// <summary>Adds the rows a preview protected: every one of them, or none when one cannot be added now.</summary>
    public async Task<BulkAddOutcome> ImportAsync(int projectId, string? payload, string actor, CancellationToken ct)
    {
        var rows = payloads.Unprotect(projectId, payload);
        if (rows is null || rows.Count == 0)
            return BulkAddOutcome.Refused(
                $"This preview has expired (a preview is kept for {BulkAddPayload.Lifetime.TotalMinutes:0} minutes) or was changed. Nothing was added: upload the file again.");

        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        List<Mailbox> mailboxes;
        try
        {
            mailboxes = rows.Select(r => r.ToMailbox(projectId, actor, now)).ToList();
        }
        catch (DomainValidationException e)
        {
            return BulkAddOutcome.Refused($"{e.Message} Nothing was added: upload the file again.");
        }

        try
        {
            using (await gate.EnterAsync(ct))
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                // Two confirms of one preview (a double click) must not both add it. SQLite's writers already pass the
                // gate one at a time; PostgreSQL's READ COMMITTED would let both check before either had inserted.
                if (db.Database.IsNpgsql())
                    await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0}, {1})", [BulkAddLockClass, projectId], ct);

                // Checked again here: since the preview, someone may have added some of these, or confirmed this very preview.
                var existing = await MailboxDuplicates.PairsAsync(db, projectId, exceptMailboxId: null, ct);
                var taken = rows.Where(r => existing.Refusal(r.SourceEmail, r.DestinationEmail) is not null).ToList();
                if (taken.Count > 0)
                    return BulkAddOutcome.Refused(
                        $"{taken.Count:N0} of these {rows.Count:N0} mailboxes are in the project now (line {taken[0].Line:N0}: " +
                        $"{existing.Refusal(taken[0].SourceEmail, taken[0].DestinationEmail)}). Nothing was added: upload the file again for a new preview.");

                db.Mailboxes.AddRange(mailboxes);
                await db.SaveChangesAsync(ct);
                // The report's items name the new mailboxes' ids, known only now; it is saved in the same transaction,
                // so the dashboard's message and the mailboxes exist together or not at all.
                var report = new ActionReport(projectId, ReportAction, actor, now);
                for (var i = 0; i < mailboxes.Count; i++)
                    report.Items.Add(new ActionReportItem(i, mailboxes[i].Id, mailboxes[i].Label, ActionItemState.Applied, $"Line {rows[i].Line:N0} of the file"));
                db.ActionReports.Add(report);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                logger.LogInformation("Bulk Add: {Actor} added {Count} mailboxes to project {ProjectId} in {Milliseconds:0} ms",
                    actor, mailboxes.Count, projectId, time.GetElapsedTime(started).TotalMilliseconds);
                return BulkAddOutcome.Done(mailboxes.Count, report.Id);
            }
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            return BulkAddOutcome.Refused("The database is busy (another writer holds it). Nothing was added: confirm again in a moment.", rows.Count, mayRetry: true);
        }
        catch (DbUpdateException e)
        {
            // The exception names tables and constraints; the rows' values are not logged (no sensitive data logging).
            logger.LogError(e, "Bulk Add of {Count} mailboxes to project {ProjectId} failed; nothing was saved", rows.Count, projectId);
            return BulkAddOutcome.Refused("The mailboxes could not be saved. Nothing was added; the portal's log has the details.", rows.Count, mayRetry: true);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}
