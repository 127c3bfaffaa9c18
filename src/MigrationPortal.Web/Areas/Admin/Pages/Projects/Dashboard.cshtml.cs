using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
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

/// <summary>
/// The project's mailboxes, a page at a time (filtered by status, searched by address, sorted), the status counts of the
/// whole project, and the toolbar acting on the checked ones or on every mailbox the filter matches.
/// </summary>
// A selection is one form value per checked mailbox; the default cap (1,024 values) would refuse a large one.
[RequestFormLimits(ValueCountLimit = MaxSelection + 16)]
public sealed class DashboardModel(
    PortalDbContext db,
    MailboxActionService actions,
    ActionReportStore reports,
    CredentialCheckSignal credentialChecks,
    BackgroundStartSignal backgroundStarts,
    IOptions<BulkActionOptions> bulkOptions,
    IOptions<PortalOptions> portal,
    TimeProvider time,
    Security.AuditLog audit) : PageModel
{
    public const int MaxSelection = 20_000;
    public const int DefaultPageSize = 50;
    public static IReadOnlyList<int> PageSizes { get; } = [25, 50, 100, 200];

    /// <summary>Statuses that move on without the admin (the user submits, a worker takes it, a pass ends): the page watches them.</summary>
    private static readonly MailboxStatus[] ActiveStatuses =
        [MailboxStatus.WaitingForUser, MailboxStatus.Submitted, MailboxStatus.Migrating, MailboxStatus.Stopping];

    /// <summary>The statuses in the order a mailbox goes through them, for the counts and the filter.</summary>
    public static IReadOnlyList<MailboxStatus> StatusOrder { get; } =
    [
        MailboxStatus.NotStarted, MailboxStatus.WaitingForUser, MailboxStatus.Submitted, MailboxStatus.Migrating,
        MailboxStatus.Stopping, MailboxStatus.Completed, MailboxStatus.Failed, MailboxStatus.Stopped,
    ];

    public static bool IsActive(MailboxStatus status) => ActiveStatuses.Contains(status);

    /// <summary>How often the page's script asks where running passes stand, in milliseconds (<see cref="PortalOptions.DashboardRefresh"/>).</summary>
    public int RefreshMilliseconds => (int)portal.Value.DashboardRefresh.TotalMilliseconds;

    /// <param name="Reason">Why it failed, or why the user's credentials could not be checked yet.</param>
    /// <param name="Progress">While Migrating or Stopping: the running pass, copied of found.</param>
    /// <param name="Totals">What all its passes did together; null before the first.</param>
    public sealed record Row(int Id, string SourceEmail, string DestinationEmail, MailboxStatus Status, string? Reason, string License, string LastPass,
        PassProgress? Progress, MailboxTotals? Totals)
    {
        /// <summary>While Waiting for User: the request's story (sent, reminders, opened, expiry).</summary>
        public string? Request { get; init; }

        /// <summary>Who signed in at the provider, on sides where each user signs in ("Source: signed in with Microsoft as …").</summary>
        public string? SignedIn { get; init; }
    }

    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    /// <summary>The report of the action just done, named in the address the action redirected to.</summary>
    [BindProperty(SupportsGet = true, Name = "report")]
    public Guid? ReportId { get; set; }

    [BindProperty(SupportsGet = true, Name = "status")]
    public string? StatusQuery { get; set; }

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? SearchQuery { get; set; }

    [BindProperty(SupportsGet = true, Name = "sort")]
    public string? SortQuery { get; set; }

    [BindProperty(SupportsGet = true, Name = "desc")]
    public bool Descending { get; set; }

    // Not "page": Razor Pages keeps that name for the page's own route value.
    [BindProperty(SupportsGet = true, Name = "pageNumber")]
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "size")]
    public int PageSize { get; set; } = DefaultPageSize;

    /// <summary>The toolbar acts on every mailbox the filter matches (not only the checked ones).</summary>
    [BindProperty(Name = "allMatching")]
    public bool AllMatching { get; set; }

    public MailboxFilter Filter { get; private set; } = MailboxFilter.All;

    /// <summary>Mailboxes the filter matches, over all pages.</summary>
    public int Matching { get; private set; }
    public int PageCount => Math.Max(1, (Matching + PageSize - 1) / PageSize);
    public int ProjectTotal { get; private set; }
    public IReadOnlyDictionary<MailboxStatus, int> StatusCounts { get; private set; } = new Dictionary<MailboxStatus, int>();

    public string ProjectName { get; private set; } = "";
    /// <summary>When the page was made: what its times (a throttled pass's resumption) are measured against.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

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

    /// <summary>
    /// Start, in the request for up to <see cref="BulkActionOptions.BackgroundAbove"/> mailboxes; a larger selection is
    /// queued on its report for <see cref="BackgroundStartService"/>, so the admin is not kept waiting for thousands.
    /// </summary>
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
        selected = await SelectionAsync(selected, ct);
        if (selected.Length > bulkOptions.Value.BackgroundAbove)
            return await QueueAsync(MailboxActionService.Start, MailboxAction.Start, selected, backgroundStarts, ct, pass);
        return await ActOnAsync(selected, chosen => actions.StartAsync(Id, chosen, Actor, ct, pass), ct);
    }

    /// <summary>
    /// Where the running passes of the project stand, for the dashboard's script (every 2 seconds). Admin only, like the
    /// page; never cached.
    /// </summary>
    public async Task<IActionResult> OnGetProgressAsync(CancellationToken ct)
    {
        if (!await db.Projects.AnyAsync(p => p.Id == Id, ct)) return NotFound();
        // The page the script runs on, found the same way the page was: its active rows are what it compares.
        ReadFilter();
        var shown = await PageIdsAsync(ct);
        var progress = await MailboxStatistics.ProgressAsync(db, Id, shown, ct);
        var active = await db.Mailboxes.AsNoTracking().Where(m => shown.Contains(m.Id) && ActiveStatuses.Contains(m.Status))
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
                throttledText = p.ThrottledText(time.GetUtcNow()),
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

    public Task<IActionResult> OnPostResendRequestAsync(int[] selected, CancellationToken ct) =>
        Act(selected, chosen => actions.ResendRequestAsync(Id, chosen, Actor, ct), ct);

    public Task<IActionResult> OnPostStopAsync(int[] selected, CancellationToken ct) =>
        Act(selected, chosen => actions.StopAsync(Id, chosen, Actor, ct), ct);

    public Task<IActionResult> OnPostClearCredentialsAsync(int[] selected, bool clearSource, bool clearDestination, CancellationToken ct) =>
        Act(selected, chosen => actions.ClearCredentialsAsync(Id, chosen, clearSource, clearDestination, Actor, ct), ct);

    public Task<IActionResult> OnPostDeleteAsync(int[] selected, CancellationToken ct) =>
        Act(selected, chosen => actions.DeleteAsync(Id, chosen, Actor, ct), ct);

    /// <summary>
    /// The dashboard as a CSV file: every mailbox the filter matches (all pages) with its status, failure reason and
    /// statistics, never a password or a login name.
    /// </summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().Where(p => p.Id == Id).Select(p => new { p.Name }).SingleOrDefaultAsync(ct);
        if (project is null) return NotFound();
        ReadFilter();
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment")
        {
            FileNameStar = $"{project.Name}-mailboxes-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv",
        }.ToString();
        await DashboardExport.WriteAsync(db, Id, Filter, Response.Body, ct);
        return new EmptyResult();
    }

    /// <summary>
    /// Verify Credentials logs in to two servers per mailbox, which on a large selection takes minutes: the items are
    /// queued on the report and checked in the background; the dashboard shows the results as they come.
    /// </summary>
    public async Task<IActionResult> OnPostVerifyCredentialsAsync(int[] selected, CancellationToken ct) =>
        await QueueAsync(MailboxActionService.VerifyCredentials, MailboxAction.VerifyCredentials, await SelectionAsync(selected, ct), credentialChecks, ct);

    /// <summary>
    /// The selection triaged now (what its status alone refuses is reported at once) and the rest queued on the report
    /// for a background worker; the dashboard shows the report filling in.
    /// </summary>
    /// <param name="pass">For Start: the pass the admin chose, kept on the report for the worker.</param>
    private async Task<IActionResult> QueueAsync(string name, MailboxAction action, int[] selected, WakeSignal worker, CancellationToken ct,
        PassRequest? pass = null)
    {
        if (Refuse(selected) is { } refused) return await Show(refused, ct);
        var (candidates, refusedNow) = await actions.TriageAsync(Id, selected, action, ct);
        var report = new BulkActionReport(name, refusedNow);
        try
        {
            var id = await reports.SaveAsync(Id, report, Actor, ct, waiting: candidates, pass);
            worker.Notify();
            await AuditAsync(report, selected.Length, candidates.Count, ct);
            return RedirectToPage(AfterAction(id));
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            var busy = candidates.Select(c => new MailboxOutcome(c.Id, c.Label, MailboxOutcomeKind.Busy, MailboxOutcome.BusyText));
            return await Show(report with { Items = [.. refusedNow, .. busy] }, ct);
        }
    }

    private string Actor => User.Identity?.Name ?? "admin";

    /// <summary>The checked mailboxes, or with "select all matching" every mailbox the posted filter matches now.</summary>
    private async Task<int[]> SelectionAsync(int[] selected, CancellationToken ct)
    {
        if (!AllMatching) return selected;
        ReadFilter();
        return [.. await Filter.IdsAsync(db, Id, ct)];
    }

    /// <summary>Back to the dashboard as the admin had it (filter, sort, page), with the action's report.</summary>
    private RouteValueDictionary AfterAction(Guid report)
    {
        ReadFilter();
        var values = new RouteValueDictionary((object)Link());
        values["report"] = report;
        return values;
    }

    private void ReadFilter()
    {
        Filter = MailboxFilter.Parse(StatusQuery, SearchQuery, SortQuery, Descending);
        if (!PageSizes.Contains(PageSize)) PageSize = DefaultPageSize;
        if (PageNumber < 1) PageNumber = 1;
    }

    private Task<List<int>> PageIdsAsync(CancellationToken ct) =>
        Filter.Apply(db, Id).Skip((PageNumber - 1) * PageSize).Take(PageSize).Select(m => m.Id).ToListAsync(ct);

    /// <summary>Route values for a link to this dashboard with the current filter, changed by <paramref name="change"/>.</summary>
    public Dictionary<string, string> Link(Action<Dictionary<string, string?>>? change = null)
    {
        var values = Filter.RouteValues();
        values["id"] = Id.ToString(CultureInfo.InvariantCulture);
        values["size"] = PageSize == DefaultPageSize ? null : PageSize.ToString(CultureInfo.InvariantCulture);
        values["pageNumber"] = PageNumber == 1 ? null : PageNumber.ToString(CultureInfo.InvariantCulture);
        change?.Invoke(values);
        // A value left null is left out of the address (the default).
        return values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!);
    }

    /// <param name="action">The action on the selection: the checked mailboxes, or all the filter matches.</param>
    private async Task<IActionResult> Act(int[] selected, Func<int[], Task<BulkActionReport>> action, CancellationToken ct) =>
        await ActOnAsync(await SelectionAsync(selected, ct), action, ct);

    /// <param name="selected">The selection, resolved (<see cref="SelectionAsync"/>).</param>
    private async Task<IActionResult> ActOnAsync(int[] selected, Func<int[], Task<BulkActionReport>> action, CancellationToken ct)
    {
        if (Refuse(selected) is { } refused) return await Show(refused, ct);
        var report = await action(selected);
        await AuditAsync(report, selected.Length, 0, ct);
        try
        {
            var id = await reports.SaveAsync(Id, report, Actor, ct);
            return RedirectToPage(AfterAction(id));
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            // What was applied stays applied; the admin still sees it, on this response instead of after a redirect.
            return await Show(report, ct);
        }
    }

    /// <summary>One audit entry per toolbar action, with its counts (the report has the items).</summary>
    private Task AuditAsync(BulkActionReport report, int selected, int queued, CancellationToken ct)
    {
        var refused = report.Items.Count - report.Applied;
        var detail = $"{selected} selected: {report.Applied} applied, {refused} refused"
                     + (queued > 0 ? $", {queued} queued for the background" : "");
        return audit.RecordAsync(report.Action, $"project {Id}", detail, ct);
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

    private static string? DescribeSignIns(Core.Projects.MigrationProject project, Mailbox mailbox)
    {
        var parts = new[] { (MailboxSide.Source, mailbox.Source), (MailboxSide.Destination, mailbox.Destination) }
            .Where(s => project.SignIn(s.Item1).IsDelegated && s.Item2.IsKnown)
            .Select(s => $"{s.Item1}: signed in with {project.SignIn(s.Item1).ProviderName} as {s.Item2.LoginName}")
            .ToList();
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null) return false;
        ProjectName = project.Name;
        Source = project.Source + (project.SourceSignIn.UsesTokens ? $", signing in as {project.SourceSignIn.Describe()}" : "");
        Destination = project.Destination + (project.DestinationSignIn.UsesTokens ? $", signing in as {project.DestinationSignIn.Describe()}" : "");
        LicensesAvailable = await LicensePoolStore.AvailableAsync(db, ct);

        ReadFilter();
        StatusCounts = await MailboxStatusCounts.ForProjectAsync(db, Id, ct);
        ProjectTotal = StatusCounts.Values.Sum();
        Matching = Filter.IsFiltered ? await Filter.Apply(db, Id).CountAsync(ct) : ProjectTotal;
        PageNumber = Math.Min(PageNumber, PageCount);

        // Only this page's rows and their statistics are read: the page costs the same at 20 mailboxes and at 10,000.
        var mailboxes = await Filter.Apply(db, Id).Skip((PageNumber - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        var shown = mailboxes.Select(m => m.Id).ToList();
        var lastPasses = await MailboxStatistics.LastPassesAsync(db, shown, ct);
        var progress = (await MailboxStatistics.ProgressAsync(db, Id, shown, ct)).ToDictionary(p => p.MailboxId);
        var totals = await MailboxStatistics.TotalsAsync(db, shown, ct);
        var waiting = mailboxes.Where(m => m.Status == MailboxStatus.WaitingForUser).Select(m => m.Id).ToList();
        var requests = waiting.Count == 0 ? new Dictionary<int, OpenRequest>() : await OpenRequest.ForAsync(db, waiting, ct);
        var now = time.GetUtcNow();
        Rows = mailboxes.Select(m => new Row(m.Id, m.Source.Email, m.Destination.Email, m.Status, m.Failure?.Text ?? m.VerificationProblem,
            DescribeLicense(m), lastPasses.TryGetValue(m.Id, out var pass) ? DescribePass(pass) : "—",
            progress.GetValueOrDefault(m.Id), totals.GetValueOrDefault(m.Id))
        {
            Request = requests.TryGetValue(m.Id, out var request) ? request.Describe(now) : null,
            SignedIn = DescribeSignIns(project, m),
        }).ToList();
        DefaultPassKind = await db.MigrationPasses.AnyAsync(p => p.Outcome == PassOutcome.Completed
            && db.Mailboxes.Any(m => m.Id == p.MailboxId && m.ProjectId == Id), ct) ? PassKind.Delta : PassKind.Full;
        return true;
    }

    private static string DescribeLicense(Mailbox m) => StatisticsText.License(m.License, m.PassesOnLicense, m.LicensesConsumed);

    /// <summary>The last pass's result: kind, outcome, copied/skipped/failed, duration and throughput.</summary>
    private static string DescribePass(MigrationPass pass) => pass.Outcome == PassOutcome.Running
        ? $"#{pass.Number} {StatisticsText.Kind(pass)} running since {pass.StartedAt:yyyy-MM-dd HH:mm} UTC"
        : $"#{pass.Number} {pass.Outcome} · {StatisticsText.Kind(pass)} · {pass.StartedAt:yyyy-MM-dd HH:mm} UTC · "
          + $"{pass.ItemsCopied} items copied ({StatisticsText.Bytes(pass.BytesCopied)}), {pass.MessagesSkipped} skipped, {pass.MessagesFailed} failed · "
          + $"{StatisticsText.Duration(pass.Duration)} · {StatisticsText.Throughput(pass)}";
}
