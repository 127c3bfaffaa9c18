using System.Globalization;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>
/// The dashboard as CSV: one line per mailbox the filter matches, with its status, why it failed, its license and
/// what its passes did. Addresses only: no login name and no password, stored or not, ever leaves this way.
/// </summary>
public static class DashboardExport
{
    public static readonly string[] Header =
    [
        "Source Email", "Destination Email", "Status", "Reason", "Status Changed (UTC)", "License",
        "Passes", "Last Pass", "Last Pass Outcome", "Last Pass Started (UTC)",
        "Messages Copied", "Bytes Copied", "Messages Skipped", "Messages Not Copied",
    ];

    /// <summary>Mailboxes read and written per round trip: the file is streamed, never held whole.</summary>
    private const int Chunk = 500;

    public static async Task WriteAsync(PortalDbContext db, int projectId, MailboxFilter filter, Stream body, CancellationToken ct)
    {
        // Addresses, reasons and the project name are typed by admins and users: a cell starting with = + - @ is
        // escaped so a spreadsheet does not run it.
        var options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };
        // UTF-8 without a byte order mark; only the async calls write to the response (Kestrel refuses synchronous I/O).
        await using var csv = CsvWriter.Create(body, options, leaveOpen: true);
        foreach (var header in Header)
            csv.WriteField(header);
        await csv.EndRecordAsync(ct);

        // Keyset-free paging by position is fine here: the export is a snapshot an admin asked for, and a mailbox
        // added while it streams may or may not be in it. Ordered as the dashboard shows them.
        for (var skip = 0; ; skip += Chunk)
        {
            var mailboxes = await filter.Apply(db, projectId).Skip(skip).Take(Chunk)
                .Select(m => new
                {
                    m.Id, SourceEmail = m.Source.Email, DestinationEmail = m.Destination.Email, m.Status, m.Failure, m.VerificationProblem,
                    m.StatusChangedAt, m.CreatedAt, m.License, m.PassesOnLicense, m.LicensesConsumed,
                })
                .ToListAsync(ct);
            if (mailboxes.Count == 0) break;
            var ids = mailboxes.Select(m => m.Id).ToList();
            var totals = await MailboxStatistics.TotalsAsync(db, ids, ct);
            var lastPasses = await MailboxStatistics.LastPassesAsync(db, ids, ct);
            foreach (var m in mailboxes)
            {
                var total = totals.GetValueOrDefault(m.Id);
                var last = lastPasses.GetValueOrDefault(m.Id);
                csv.WriteField(m.SourceEmail);
                csv.WriteField(m.DestinationEmail);
                csv.WriteField(m.Status.ToDisplay());
                csv.WriteField(m.Failure?.Text ?? m.VerificationProblem ?? "");
                csv.WriteField(Utc(m.StatusChangedAt ?? m.CreatedAt));
                csv.WriteField(StatisticsText.License(m.License, m.PassesOnLicense, m.LicensesConsumed));
                csv.WriteField((total?.Passes ?? 0).ToString(CultureInfo.InvariantCulture));
                csv.WriteField(last is null ? "" : StatisticsText.Kind(last));
                csv.WriteField(last?.Outcome.ToString() ?? "");
                csv.WriteField(last is null ? "" : Utc(last.StartedAt));
                csv.WriteField((total?.MessagesCopied ?? 0).ToString(CultureInfo.InvariantCulture));
                csv.WriteField((total?.BytesCopied ?? 0).ToString(CultureInfo.InvariantCulture));
                csv.WriteField((total?.MessagesSkipped ?? 0).ToString(CultureInfo.InvariantCulture));
                csv.WriteField((total?.MessagesFailedNow ?? 0).ToString(CultureInfo.InvariantCulture));
                await csv.EndRecordAsync(ct);
            }
        }
    }

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
