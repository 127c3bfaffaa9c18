using System.Globalization;
using CsvHelper;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Data.Audit;

namespace MigrationPortal.Web.Areas.Admin.Pages.Audit;

/// <summary>
/// The audit log: credential, license, admin-account and destructive actions, newest first, and all of it as CSV.
/// Everything shown was written by the portal (counts, names, outcomes) or typed by someone (an address at sign-in,
/// a mailbox label): Razor encodes it on the page, the CSV escapes cells a spreadsheet would run.
/// </summary>
public sealed class IndexModel(PortalDbContext db, TimeProvider time) : PageModel
{
    public const int MaxShown = 500;
    public static readonly string[] Header = ["When (UTC)", "Who", "From", "What", "On", "Details"];

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public int Total { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Total = await db.AuditEntries.CountAsync(ct);
        Entries = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Id).Take(MaxShown).ToListAsync(ct);
    }

    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment")
        {
            FileNameStar = $"audit-log-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv",
        }.ToString();
        await using var csv = CsvWriter.Create(Response.Body, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: true);
        foreach (var header in Header) csv.WriteField(header);
        await csv.EndRecordAsync(ct);
        // Oldest first, a chunk at a time by id: the file is streamed, never held whole.
        long after = 0;
        while (true)
        {
            var chunk = await db.AuditEntries.AsNoTracking().Where(e => e.Id > after).OrderBy(e => e.Id).Take(500).ToListAsync(ct);
            if (chunk.Count == 0) break;
            foreach (var e in chunk)
            {
                csv.WriteField(When(e.At));
                csv.WriteField(e.Actor);
                csv.WriteField(e.Address ?? "");
                csv.WriteField(e.Action);
                csv.WriteField(e.Target ?? "");
                csv.WriteField(e.Detail ?? "");
                await csv.EndRecordAsync(ct);
            }
            after = chunk[^1].Id;
        }
        await csv.FlushAsync(ct);
        return new EmptyResult();
    }

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
