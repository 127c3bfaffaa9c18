using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Web.Mailboxes;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>The project's mailboxes and the toolbar acting on the checked ones.</summary>
public sealed class DashboardModel(PortalDbContext db, MailboxActionService actions) : PageModel
{
    private const string ReportKey = "ActionReport";

    /// <param name="Reason">Why it failed, or why the user's credentials could not be checked yet.</param>
    public sealed record Row(int Id, string SourceEmail, string DestinationEmail, MailboxStatus Status, string? Reason, string License, string LastPass);

    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    public string ProjectName { get; private set; } = "";
    public string Source { get; private set; } = "";
    public string Destination { get; private set; } = "";
    public int LicensesAvailable { get; private set; }
    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public BulkActionReport? Report { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null) return NotFound();
        ProjectName = project.Name;
        Source = project.Source.ToString();
        Destination = project.Destination.ToString();
        LicensesAvailable = await db.LicensePools.Where(p => p.Id == LicensePool.SingletonId).Select(p => p.Available).SingleAsync(ct);

        var mailboxes = await db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == Id).OrderBy(m => m.Id).ToListAsync(ct);
        var lastPasses = await db.MigrationPasses.AsNoTracking()
            .Where(p => db.Mailboxes.Any(m => m.Id == p.MailboxId && m.ProjectId == Id && m.PassCount == p.Number))
            .ToDictionaryAsync(p => p.MailboxId, ct);
        Rows = mailboxes.Select(m => new Row(m.Id, m.Source.Email, m.Destination.Email, m.Status, m.Failure?.Text ?? m.VerificationProblem,
            DescribeLicense(m), lastPasses.TryGetValue(m.Id, out var pass) ? DescribePass(pass) : "—")).ToList();

        if (TempData[ReportKey] is string json)
            Report = JsonSerializer.Deserialize<BulkActionReport>(json);
        return Page();
    }

    public Task<IActionResult> OnPostStartAsync(int[] selected, CancellationToken ct) =>
        Act(selected, () => actions.StartAsync(Id, selected, Actor, ct));

    public Task<IActionResult> OnPostStopAsync(int[] selected, CancellationToken ct) =>
        Act(selected, () => actions.StopAsync(Id, selected, Actor, ct));

    public Task<IActionResult> OnPostClearCredentialsAsync(int[] selected, bool clearSource, bool clearDestination, CancellationToken ct) =>
        Act(selected, () => actions.ClearCredentialsAsync(Id, selected, clearSource, clearDestination, Actor, ct));

    public Task<IActionResult> OnPostVerifyCredentialsAsync(int[] selected, CancellationToken ct) =>
        Act(selected, () => actions.VerifyCredentialsAsync(Id, selected, Actor, ct));

    public Task<IActionResult> OnPostDeleteAsync(int[] selected, CancellationToken ct) =>
        Act(selected, () => actions.DeleteAsync(Id, selected, Actor, ct));

    private string Actor => User.Identity?.Name ?? "admin";

    private async Task<IActionResult> Act(int[] selected, Func<Task<BulkActionReport>> action)
    {
        var report = selected.Length == 0
            ? new BulkActionReport("Nothing done", 0, [new ItemRefusal(0, "(none)", "Check at least one mailbox first.")])
            : await action();
        TempData[ReportKey] = JsonSerializer.Serialize(report);
        return RedirectToPage(new { id = Id });
    }

    private static string DescribeLicense(Mailbox m) => m.License switch
    {
        MailboxLicenseState.Held => "Held",
        MailboxLicenseState.Consumed => $"Consumed ({m.PassesOnLicense} passes)",
        _ => m.LicensesConsumed > 0 ? $"{m.LicensesConsumed} used" : "None",
    };

    private static string DescribePass(MigrationPass pass) =>
        $"#{pass.Number} {pass.Outcome} {pass.StartedAt:yyyy-MM-dd HH:mm} UTC, {pass.ItemsCopied} items";
}
