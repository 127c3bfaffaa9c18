using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Web.Forms;
using MigrationPortal.Web.Mailboxes.BulkAdd;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

/// <summary>
/// Bulk Add: the admin uploads a MigrationWiz mailbox list, sees every row that cannot be added and why, and confirms
/// the rest. The upload is read from memory and dropped with the request; the valid rows reach the confirm in the
/// page's protected hidden field (<see cref="BulkAddPayload"/>).
/// </summary>
// A form's file is buffered in memory up to MemoryBufferThreshold and on disk past it: the threshold is the whole limit,
// so an uploaded file never touches the disk. The confirm's hidden field is a form value of several megabytes. A file
// over MaxFileBytes but within these limits gets the page's own message; past them, the error page's "Too much data".
[RequestSizeLimit(BulkAddService.MaxRequestBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = BulkAddService.MaxRequestBytes, ValueLengthLimit = BulkAddService.MaxRequestBytes,
    MemoryBufferThreshold = BulkAddService.MaxRequestBytes)]
[RefuseLargerThan(BulkAddService.MaxRequestBytes)]
public sealed class BulkAddModel(PortalDbContext db, BulkAddService bulkAdd, Security.AuditLog audit) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int ProjectId { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>The preview's valid rows, protected; posted back by Confirm.</summary>
    [BindProperty]
    public string? Payload { get; set; }

    public string ProjectName { get; private set; } = "";
    public BulkAddPreview? Preview { get; private set; }

    /// <summary>After a confirm the database refused for now: how many rows the same preview still offers.</summary>
    public int? RetryCount { get; private set; }

    public sealed class InputModel
    {
        [Display(Name = "CSV file")]
        public IFormFile? File { get; set; }

        [Display(Name = "I don't know the login name and password for the Source mailboxes")]
        public bool SourceUnknown { get; set; }

        [Display(Name = "I don't know the login name and password for the Destination mailboxes")]
        public bool DestinationUnknown { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) =>
        await LoadProjectAsync(ct) ? Page() : NotFound();

    /// <summary>Upload: the preview. Nothing is added here.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!await LoadProjectAsync(ct)) return NotFound();
        if (!ModelState.IsValid) return Page();
        // A file that was chosen but holds 0 bytes is bound (only a part without a file name is not): it goes on to the
        // reader, which says the file is empty, rather than telling the admin to choose the file they just chose.
        if (Input.File is not { } file)
        {
            ModelState.AddModelError("Input.File", "Choose a CSV file to upload.");
            return Page();
        }
        if (file.Length > BulkAddService.MaxFileBytes)
        {
            ModelState.AddModelError("Input.File", $"The file is larger than {BulkAddService.MaxFileBytes / (1024 * 1024)} MB. Split it into smaller files (at most {BulkAddService.MaxRows:N0} rows each).");
            return Page();
        }
        try
        {
            await using var csv = file.OpenReadStream();
            Preview = await bulkAdd.PreviewAsync(ProjectId, csv, new BulkAddChoices(Input.SourceUnknown, Input.DestinationUnknown), ct);
        }
        catch (CsvFileRefusedException e)
        {
            ModelState.AddModelError("Input.File", e.Message);
        }
        return Page();
    }

    /// <summary>Confirm: every row of the preview, in one transaction, or none.</summary>
    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        if (!await LoadProjectAsync(ct)) return NotFound();
        var outcome = await bulkAdd.ImportAsync(ProjectId, Payload, User.Identity?.Name ?? "admin", ct);
        if (outcome.Refusal is null)
        {
            await audit.RecordAsync("Bulk Add", $"project {ProjectId}: {ProjectName}", $"{outcome.Rows} mailboxes added from a file", ct);
            return RedirectToPage("/Projects/Dashboard", new { id = ProjectId, report = outcome.ReportId });
        }
        ModelState.AddModelError(string.Empty, outcome.Refusal);
        RetryCount = outcome.MayRetry ? outcome.Rows : null;
        return Page();
    }

    private async Task<bool> LoadProjectAsync(CancellationToken ct)
    {
        var name = await db.Projects.Where(p => p.Id == ProjectId).Select(p => p.Name).SingleOrDefaultAsync(ct);
        ProjectName = name ?? "";
        return name is not null;
    }
}
