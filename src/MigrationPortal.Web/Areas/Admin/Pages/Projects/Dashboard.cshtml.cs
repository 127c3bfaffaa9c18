using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.Concurrency;
using MigrationPortal.Data.Licenses;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Web.Mailboxes;
using MigrationPortal.Web.Startup;
using MigrationPortal.Web.Worker;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>The project's mailboxes and the toolbar acting on the checked ones.</summary>
// A selection is one form value per checked mailbox; the default cap (1,024 values) would refuse a large one.
[RequestFormLimits(ValueCountLimit = MaxSelection + 16)]
public sealed class DashboardModel(
    PortalDbContext db,
    MailboxActionService actions,
    ActionReportStore reports,
    CredentialCheckSignal credentialChecks,
    IOptions<PortalOptions> portal,
    TimeProvider time) : PageModel
{
    public const int MaxSelection = 20_000;

    /// <summary>Statuses that move on without the admin (the user submits, a worker takes it, a pass ends): the page watches them.</summary>
    private static readonly MailboxStatus[] ActiveStatuses =
        [MailboxStatus.WaitingForUser, MailboxStatus.Submitted, MailboxStatus.Migrating, MailboxStatus.Stopping];

    public static bool IsActive(MailboxStatus status) => ActiveStatuses.Contains(status);

    /// <summary>How often the page's script asks where running passes stand, in milliseconds (<see cref="PortalOptions.DashboardRefresh"/>).</summary>
    public int RefreshMilliseconds => (int)portal.Value.DashboardRefresh.TotalMilliseconds;

    /// <param name="Reason">Why it failed, or why the user's credentials could not be checked yet.</param>
    /// <param name="Progress">While Migrating or Stopping: the running pass, copied of found.</param>
    /// <param name="Totals">What all its passes did together; null before the first.</param>
    public sealed record Row(int Id, string SourceEmail, string DestinationEmail, MailboxStatus Status, string? Reason, string License, string LastPass,
        PassProgress? Progress, MailboxTotals? Totals);

    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    /// <summary>The report of the action just done, named in the address the action redirected to.</summary>
    [BindProperty(SupportsGet = true, Name = "report")]
    public Guid? ReportId { get; set; }

    public string ProjectName { get; private set; } = "";
    public string Source { get; private set; } = "";
    public string Destination { get; private set; } = "";
    public int LicensesAvailable { get; private set; }
    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public ReportSummary? Report { get; private set; }

    /// <summary>The pass type the Start toolbar offers first: Delta once a mailbox of the project has completed a pass.</summary>
    public PassKind DefaultPassKind { get; private set; }

    public static IReadOnlyList<PassKind> PassKinds { get; } = Enum.GetValues<PassKind>();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFound();
        if (ReportId is { } reportId)
            Report = await reports.SummaryAsync(Id, reportId, ct);
        return Page();
    }

    /// <param name="passKind">Full, Delta, PreStage or RetryErrors; empty: Delta where a pass completed, Full elsewhere.</param>
    /// <param name="preStageBefore">For Pre-Stage: mail received before this day (UTC) is copied; ignored for the other kinds.</param>
    public async Task<IActionResult> OnPostStartAsync(int[] selected, string? passKind, string? preStageBefore, CancellationToken ct)
    {
        PassRequest? pass;
        try
        {
            pass = ParsePass(passKind, preStageBefore);
        }
        catch (DomainValidationException e)
        {
            return await Show(new BulkActionReport("Nothing done", [new MailboxOutcome(0, "(none)", MailboxOutcomeKind.Refused, e.Message)]), ct);
        }
        return await Act(selected, () => actions.StartAsync(Id, selected, Actor, ct, pass), ct);
    }

    /// <summary>
    /// Where the running passes of the project stand, for the dashboard's script (every 2 seconds). Admin only, like the
    /// page; never cached.
    /// </summary>
    public async Task<IActionResult> OnGetProgressAsync(CancellationToken ct)
    {
        if (!await db.Projects.AnyAsync(p => p.Id == Id, ct)) return NotFound();
        var progress = await MailboxStatistics.ProgressAsync(db, Id, ct);
        var active = await db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == Id && ActiveStatuses.Contains(m.Status))
            .OrderBy(m => m.Id).Select(m => new { m.Id, m.Status }).ToListAsync(ct);
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(new
        {
            // Every mailbox whose status is about to move on by itself: the page reloads when one of them has moved.
            active = active.Select(m => new { id = m.Id, status = m.Status.ToString() }),
            mailboxes = progress.Select(p => new
            {
                id = p.MailboxId,
                status = p.Status.ToDisplay(),
                pass = p.PassNumber,
                kind = p.Kind.ToDisplay(),
                foldersFound = p.FoldersFound,
                messagesFound = p.MessagesFound,
                messagesCopied = p.MessagesCopied,
                bytesFound = p.BytesFound,
                bytesCopied = p.BytesCopied,
                messagesText = p.MessagesText,
                bytesText = p.BytesText,
            }),
        });
    }

    private static PassRequest? ParsePass(string? passKind, string? preStageBefore)
    {
        if (string.IsNullOrWhiteSpace(passKind)) return null;
        if (!Enum.TryParse<PassKind>(passKind, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || int.TryParse(passKind, out _))
            throw new DomainValidationException("Choose a pass type: Full, Delta, Pre-Stage or Retry Errors.");
        if (kind != PassKind.PreStage) return PassRequest.Create(kind);
        if (string.IsNullOrWhiteSpace(preStageBefore)) return PassRequest.Create(kind);
        if (!DateOnly.TryParseExact(preStageBefore.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            throw new DomainValidationException("Give the Pre-Stage date as a date, for example 2024-01-31.");
        return PassRequest.Create(kind, new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
    }

    public Task<IActionResult> OnPostStopAsync(int[] selected, CancellationToken ct) =>
        Act(selected, () => actions.StopAsync(Id, selected, Actor, ct), ct);

    public Task<IActionResult> OnPostClearCredentialsAsync(int[] selected, bool clearSource, bool clearDestination, CancellationToken ct) =>
        Act(selected, () => actions.ClearCredentialsAsync(Id, selected, clearSource, clearDestination, Actor, ct), ct);

    public Task<IActionResult> OnPostDeleteAsync(int[] selected, CancellationToken ct) =>
        Act(selected, () => actions.DeleteAsync(Id, selected, Actor, ct), ct);

    /// <summary>
    /// Verify Credentials logs in to two servers per mailbox, which on a large selection takes minutes: the items are
    /// queued on the report and checked in the background; the dashboard shows the results as they come.
    /// </summary>
    public async Task<IActionResult> OnPostVerifyCredentialsAsync(int[] selected, CancellationToken ct)
    {
        if (Refuse(selected) is { } refused) return await Show(refused, ct);
        var (candidates, refusedNow) = await actions.TriageAsync(Id, selected, MailboxAction.VerifyCredentials, ct);
        var report = new BulkActionReport(MailboxActionService.VerifyCredentials, refusedNow);
        try
        {
            var id = await reports.SaveAsync(Id, report, Actor, ct, waiting: candidates);
            credentialChecks.Notify();
            return RedirectToPage(new { id = Id, report = id });
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            var busy = candidates.Select(c => new MailboxOutcome(c.Id, c.Label, MailboxOutcomeKind.Busy, MailboxOutcome.BusyText));
            return await Show(report with { Items = [.. refusedNow, .. busy] }, ct);
        }
    }

    private string Actor => User.Identity?.Name ?? "admin";

    private async Task<IActionResult> Act(int[] selected, Func<Task<BulkActionReport>> action, CancellationToken ct)
    {
        if (Refuse(selected) is { } refused) return await Show(refused, ct);
        var report = await action();
        try
        {
            var id = await reports.SaveAsync(Id, report, Actor, ct);
            return RedirectToPage(new { id = Id, report = id });
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            // What was applied stays applied; the admin still sees it, on this response instead of after a redirect.
            return await Show(report, ct);
        }
    }

    private static BulkActionReport? Refuse(int[] selected) => selected.Length switch
    {
        0 => new BulkActionReport("Nothing done", [new MailboxOutcome(0, "(none)", MailboxOutcomeKind.Refused, "Check at least one mailbox first.")]),
        > MaxSelection => new BulkActionReport("Nothing done",
            [new MailboxOutcome(0, "(selection)", MailboxOutcomeKind.Refused, $"Select at most {MaxSelection:N0} mailboxes at a time.")]),
        _ => null,
    };

    private async Task<IActionResult> Show(BulkActionReport report, CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFound();
        Report = ActionReportStore.Summarise(report, time.GetUtcNow());
        return Page();
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null) return false;
        ProjectName = project.Name;
        Source = project.Source.ToString();
        Destination = project.Destination.ToString();
        LicensesAvailable = await LicensePoolStore.AvailableAsync(db, ct);

        var mailboxes = await db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == Id).OrderBy(m => m.Id).ToListAsync(ct);
        var lastPasses = await db.MigrationPasses.AsNoTracking()
            .Where(p => db.Mailboxes.Any(m => m.Id == p.MailboxId && m.ProjectId == Id && m.PassCount == p.Number))
            .ToDictionaryAsync(p => p.MailboxId, ct);
        var progress = (await MailboxStatistics.ProgressAsync(db, Id, ct)).ToDictionary(p => p.MailboxId);
        var totals = await MailboxStatistics.TotalsAsync(db, Id, ct);
        Rows = mailboxes.Select(m => new Row(m.Id, m.Source.Email, m.Destination.Email, m.Status, m.Failure?.Text ?? m.VerificationProblem,
            DescribeLicense(m), lastPasses.TryGetValue(m.Id, out var pass) ? DescribePass(pass) : "—",
            progress.GetValueOrDefault(m.Id), totals.GetValueOrDefault(m.Id))).ToList();
        DefaultPassKind = await db.MigrationPasses.AnyAsync(p => p.Outcome == PassOutcome.Completed
            && db.Mailboxes.Any(m => m.Id == p.MailboxId && m.ProjectId == Id), ct) ? PassKind.Delta : PassKind.Full;
        return true;
    }

    private static string DescribeLicense(Mailbox m) => m.License switch
    {
        Core.Licenses.MailboxLicenseState.Held => "Held",
        Core.Licenses.MailboxLicenseState.Consumed => $"Consumed ({m.PassesOnLicense} passes)",
        _ => m.LicensesConsumed > 0 ? $"{m.LicensesConsumed} used" : "None",
    };

    /// <summary>The last pass's result: kind, outcome, copied/skipped/failed, duration and throughput.</summary>
    private static string DescribePass(MigrationPass pass) => pass.Outcome == PassOutcome.Running
        ? $"#{pass.Number} {StatisticsText.Kind(pass)} running since {pass.StartedAt:yyyy-MM-dd HH:mm} UTC"
        : $"#{pass.Number} {pass.Outcome} · {StatisticsText.Kind(pass)} · {pass.StartedAt:yyyy-MM-dd HH:mm} UTC · "
          + $"{pass.ItemsCopied} items copied ({StatisticsText.Bytes(pass.BytesCopied)}), {pass.MessagesSkipped} skipped, {pass.MessagesFailed} failed · "
          + $"{StatisticsText.Duration(pass.Duration)} · {StatisticsText.Throughput(pass)}";
}
