using CsvHelper;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Web.Mailboxes;

namespace MigrationPortal.Web.Areas.Admin.Pages.Reports;

/// <summary>A toolbar action's full report: every mailbox of the selection with its outcome, paged, and as CSV.</summary>
public sealed class DetailsModel(ActionReportStore reports) : PageModel
{
    public const int PageSize = 500;

    [BindProperty(SupportsGet = true)]
    public Guid Id { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public ActionReport Report { get; private set; } = null!;
    public int Total { get; private set; }
    public int PageCount => Math.Max(1, (Total + PageSize - 1) / PageSize);
    public IReadOnlyList<ActionReportItem> Items { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await reports.FindAsync(Id, ct) is not { } report) return NotFound();
        Report = report;
        Total = await reports.CountAsync(Id, ct);
        PageNumber = Math.Clamp(PageNumber, 1, PageCount);
        var items = new List<ActionReportItem>();
        await foreach (var item in reports.ItemsAsync(Id, (PageNumber - 1) * PageSize, PageSize).WithCancellation(ct))
            items.Add(item);
        Items = items;
        return Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        if (await reports.FindAsync(Id, ct) is not { } report) return NotFound();
        // Streamed row by row, so a 10,000-item report is never held in memory as a whole. Labels and reasons are
        // typed by admins and users: a cell starting with = + - @ is escaped so a spreadsheet does not run it.
        var options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"report-{report.CreatedAt:yyyyMMdd-HHmmss}-{report.Action.Replace(' ', '-').ToLowerInvariant()}.csv\"";
        // UTF-8 without a byte order mark. Only the async calls write to the response (Kestrel refuses synchronous I/O):
        // WriteField fills the writer's buffer, EndRecordAsync and DisposeAsync write it out.
        await using var csv = CsvWriter.Create(Response.Body, options, leaveOpen: true);
        foreach (var header in new[] { "Mailbox", "MailboxId", "Action", "Outcome", "Reason" })
            csv.WriteField(header);
        await csv.EndRecordAsync(ct);
        await foreach (var item in reports.ItemsAsync(Id, 0, int.MaxValue).WithCancellation(ct))
        {
            csv.WriteField(item.Label);
            csv.WriteField(item.MailboxId);
            csv.WriteField(report.Action);
            csv.WriteField(item.State.ToString());
            csv.WriteField(item.Reason ?? "");
            await csv.EndRecordAsync(ct);
        }
        return new EmptyResult();
    }
}
