using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;

namespace MigrationPortal.Bench;

/// <summary>What one mailbox's last pass did, as the portal's mailbox page reports it.</summary>
public sealed record PortalPass(string DestinationUser, string Outcome, string Kind, int Copied, double Seconds);

/// <summary>
/// One portal run, driven over HTTP through the admin's own pages: log in, add licenses, create a project on the two
/// servers, add one mailbox per destination user, Start them with a pass type, wait until none is active, and read each
/// pass's duration from the portal's own statistics (the mailbox page), not from a stopwatch here.
/// </summary>
public static partial class PortalRun
{
    public sealed record Settings(Uri Portal, string AdminEmail, string AdminPassword, string MailboxPassword,
        (string Host, int Port) Source, string SourceUser, (string Host, int Port) Destination, IReadOnlyList<string> DestinationUsers,
        int MaxConcurrent, string PassKind, TimeSpan Timeout);

    private static readonly string[] Terminal = ["Completed", "Failed", "Stopped", "Not Started"];

    /// <param name="then">A second pass kind to Start once the first has ended (a Delta, whose no-change pass the portal times warm), or null.</param>
    public static async Task<IReadOnlyList<(IReadOnlyList<PortalPass> Passes, double WallSeconds)>> RunAsync(Settings s, TextWriter log, string? then = null)
    {
        using var portal = new PortalClient(s.Portal);

        var login = await portal.GetAsync("/Admin/Account/Login");
        await portal.SubmitAsync(MainForm(login), "Log in", new Dictionary<string, string>
        {
            ["Input.Email"] = s.AdminEmail,
            ["Input.Password"] = s.AdminPassword,
        });
        if (portal.LastAddress?.AbsolutePath.StartsWith("/Admin/Account/Login", StringComparison.OrdinalIgnoreCase) != false)
            throw new InvalidOperationException("The portal refused the admin's login.");
        log.WriteLine($"portal: logged in as {s.AdminEmail}");

        var licenses = await portal.SubmitAsync(MainForm(await portal.GetAsync("/Admin/Licenses")), "Add licenses",
            new Dictionary<string, string> { ["Input.Quantity"] = s.DestinationUsers.Count.ToString(CultureInfo.InvariantCulture), ["Input.Note"] = "bench" });
        log.WriteLine($"portal: licenses available {licenses.QuerySelector("#licenses-available")?.TextContent.Trim()}");

        var projectName = $"bench {DateTime.UtcNow:HH:mm:ss} ({s.DestinationUsers.Count} mailboxes)";
        var created = await portal.SubmitAsync(MainForm(await portal.GetAsync("/Admin/Projects/Create")), "Create project", new Dictionary<string, string>
        {
            ["Input.Name"] = projectName,
            ["Input.SourceHost"] = s.Source.Host,
            ["Input.SourcePort"] = s.Source.Port.ToString(CultureInfo.InvariantCulture),
            ["Input.SourceSecurity"] = "None",
            ["Input.DestinationHost"] = s.Destination.Host,
            ["Input.DestinationPort"] = s.Destination.Port.ToString(CultureInfo.InvariantCulture),
            ["Input.DestinationSecurity"] = "None",
            ["Input.MaxConcurrentMigrations"] = s.MaxConcurrent.ToString(CultureInfo.InvariantCulture),
        });
        var path = portal.LastAddress?.AbsolutePath ?? "";
        if (!path.StartsWith("/Admin/Projects/Dashboard/", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("The project was not created: " + Errors(created));
        var projectId = int.Parse(path.Split('/').Last(), CultureInfo.InvariantCulture);
        log.WriteLine($"portal: project {projectId} '{projectName}', at most {s.MaxConcurrent} migrations at once");

        // One mailbox per destination user, all from the same source user: the pairs differ, so the project takes them all.
        var sourceEmail = $"{s.SourceUser}@bench.test";
        var ids = new Dictionary<int, string>();
        foreach (var user in s.DestinationUsers)
        {
            var destinationEmail = $"{user}@bench.test";
            var dashboard = await portal.SubmitAsync(MainForm(await portal.GetAsync($"/Admin/Mailboxes/Create?projectId={projectId}")), "Add mailbox",
                new Dictionary<string, string>
                {
                    ["Input.SourceEmail"] = sourceEmail,
                    ["Input.SourceLogin"] = s.SourceUser,
                    ["Input.SourceUnknown"] = "false",
                    ["Input.SourcePassword"] = s.MailboxPassword,
                    ["Input.DestinationEmail"] = destinationEmail,
                    ["Input.DestinationLogin"] = user,
                    ["Input.DestinationUnknown"] = "false",
                    ["Input.DestinationPassword"] = s.MailboxPassword,
                    ["Input.NotifyEmail"] = destinationEmail,
                });
            var row = dashboard.QuerySelectorAll("tr[data-mailbox-id]")
                .FirstOrDefault(r => string.Equals(r.QuerySelector("td:nth-child(3)")?.TextContent.Trim(), destinationEmail, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"The mailbox for {user} was not added: " + Errors(dashboard));
            ids[int.Parse(row.GetAttribute("data-mailbox-id")!, CultureInfo.InvariantCulture)] = user;
        }
        log.WriteLine($"portal: {ids.Count} mailboxes added ({sourceEmail} -> {string.Join(", ", s.DestinationUsers.Take(3))}{(ids.Count > 3 ? ", ..." : "")})");

        var rounds = new List<(IReadOnlyList<PortalPass>, double)> { await RoundAsync(portal, s, projectId, ids, s.PassKind, log) };
        if (then is not null) rounds.Add(await RoundAsync(portal, s, projectId, ids, then, log));
        return rounds;
    }

    /// <summary>Start the mailboxes with one pass kind, wait until none is active, and read the pass each just ran.</summary>
    private static async Task<(IReadOnlyList<PortalPass> Passes, double WallSeconds)> RoundAsync(PortalClient portal, Settings s, int projectId,
        Dictionary<int, string> ids, string passKind, TextWriter log)
    {
        var before = await portal.GetAsync($"/Admin/Projects/Dashboard/{projectId}");
        var form = before.QuerySelector("form#mailboxes") as IHtmlFormElement ?? throw new InvalidOperationException("The dashboard has no mailbox form.");
        var progressUrl = before.QuerySelector("table.mailboxes")?.GetAttribute("data-progress-url");
        var clock = Stopwatch.StartNew();
        var started = await portal.SubmitAsync(form, "Start", new Dictionary<string, string> { ["passKind"] = passKind },
            ids.Keys.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        var report = started.QuerySelector("#action-report")?.TextContent ?? "";
        log.WriteLine($"portal: Start ({passKind}) pressed: {Regex.Replace(report, @"\s+", " ").Trim()}");

        // The dashboard, read once a second as an admin would watch it, until no mailbox is active any more;
        // the progress JSON the dashboard's script polls is logged every 10 seconds.
        var deadline = DateTime.UtcNow + s.Timeout;
        var lastSaid = "";
        var nextProgress = TimeSpan.FromSeconds(10);
        Dictionary<int, string> statuses;
        while (true)
        {
            var dashboard = await portal.GetAsync($"/Admin/Projects/Dashboard/{projectId}");
            statuses = ids.Keys.ToDictionary(id => id, id => StatusOf(dashboard, id));
            if (statuses.Values.All(Terminal.Contains)) break;
            var said = string.Join(", ", statuses.Values.GroupBy(v => v).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
            if (said != lastSaid) log.WriteLine($"portal: {clock.Elapsed.TotalSeconds:0.0} s: {said}");
            lastSaid = said;
            if (progressUrl is not null && clock.Elapsed >= nextProgress)
            {
                nextProgress += TimeSpan.FromSeconds(10);
                log.WriteLine($"portal: {clock.Elapsed.TotalSeconds:0.0} s: {Progress(await portal.GetStringAsync(progressUrl))}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"After {s.Timeout.TotalMinutes:0} minutes the mailboxes are still {said}.");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        var wall = clock.Elapsed.TotalSeconds;
        log.WriteLine($"portal: all done after {wall:0.0} s (Start to the last Completed, seen once a second)");

        var passes = new List<PortalPass>();
        foreach (var (id, user) in ids)
        {
            var details = await portal.GetAsync($"/Admin/Mailboxes/Details/{id}");
            var failure = details.QuerySelector("#failure")?.TextContent.Trim();
            // Passes are listed newest first: the first row is the pass just run.
            var cells = details.QuerySelector("#passes tr[data-pass]")?.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToArray();
            if (cells is not { Length: >= 11 })
            {
                passes.Add(new PortalPass(user, statuses[id] + (failure is null ? "" : $" ({failure})"), "-", 0, double.NaN));
                continue;
            }
            var copied = int.Parse(Regex.Match(cells[6], @"^\d+").Value, CultureInfo.InvariantCulture);
            // The page gives the engine's exact seconds beside the rounded text; an older portal only the text.
            var exact = details.QuerySelector("#passes tr[data-pass] td.duration")?.GetAttribute("data-seconds");
            var seconds = double.TryParse(exact, NumberStyles.Float, CultureInfo.InvariantCulture, out var engine) ? engine : Seconds(cells[9], cells[10], copied);
            passes.Add(new PortalPass(user, failure is null ? cells[4] : $"{cells[4]} ({failure})", cells[1], copied, seconds));
        }
        return (passes, wall);
    }

    /// <summary>
    /// The pass's duration as the mailbox page shows it ("12.3 s", "2 min 05 s", "1 h 02 min"). Past a minute the text
    /// is rounded to the second or the minute; the page's throughput (messages/s to 0.1) then gives it more exactly, and
    /// is used when it agrees with the text.
    /// </summary>
    public static double Seconds(string duration, string throughput, int copied)
    {
        double shown, step;
        Match m;
        if ((m = DurationSeconds().Match(duration)).Success) (shown, step) = (Parse(m.Groups[1].Value), 0.1);
        else if ((m = DurationMinutes().Match(duration)).Success) (shown, step) = (60 * Parse(m.Groups[1].Value) + Parse(m.Groups[2].Value), 1);
        else if ((m = DurationHours().Match(duration)).Success) (shown, step) = (3600 * Parse(m.Groups[1].Value) + 60 * Parse(m.Groups[2].Value), 60);
        else throw new FormatException($"Unexpected pass duration '{duration}'.");

        var rate = Regex.Match(throughput, @"^([\d.]+) messages/s");
        if (copied > 0 && rate.Success && Parse(rate.Groups[1].Value) is > 0 and var perSecond)
        {
            var derived = copied / perSecond;
            if (Math.Abs(derived - shown) <= step) return derived;
        }
        return shown;
    }

    private static double Parse(string number) => double.Parse(number, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^([\d.]+) s$")]
    private static partial Regex DurationSeconds();

    [GeneratedRegex(@"^(\d+) min (\d+) s$")]
    private static partial Regex DurationMinutes();

    [GeneratedRegex(@"^(\d+) h (\d+) min$")]
    private static partial Regex DurationHours();

    private static string Progress(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var rows = doc.RootElement.GetProperty("mailboxes").EnumerateArray().ToList();
        var copied = rows.Sum(r => r.GetProperty("messagesCopied").GetInt64());
        var found = rows.Sum(r => r.GetProperty("messagesFound").ValueKind == JsonValueKind.Number ? r.GetProperty("messagesFound").GetInt64() : 0);
        return $"{rows.Count} migrating, {copied} of {found} messages copied";
    }

    private static string StatusOf(IHtmlDocument dashboard, int id) =>
        (dashboard.QuerySelector($"tr[data-mailbox-id='{id}'] td.status summary") ?? dashboard.QuerySelector($"tr[data-mailbox-id='{id}'] td.status"))
            ?.TextContent.Trim() ?? "(gone)";

    private static IHtmlFormElement MainForm(IHtmlDocument page) =>
        page.QuerySelector("main form") as IHtmlFormElement ?? throw new InvalidOperationException("No form on " + page.Url);

    private static string Errors(IHtmlDocument page) =>
        string.Join(" ", page.QuerySelectorAll(".errors li, .error").Select(e => e.TextContent.Trim()).Where(t => t.Length > 0));
}
