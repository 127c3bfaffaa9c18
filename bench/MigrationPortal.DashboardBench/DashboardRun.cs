using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using MigrationPortal.Fixtures;
using MigrationPortal.Fixtures.Postgres;
using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Bench;

namespace MigrationPortal.DashboardBench;

/// <summary>
/// A project of many mailboxes in the real portal process on one database: added through Bulk Add (half with passwords,
/// half asking their users), then the dashboard timed over 200 requests one after another (and under 20 clients with
/// wrk when it is installed), Start pressed on all of them, and the credential emails counted as a real SMTP server
/// accepts them.
/// </summary>
public static partial class DashboardRun
{
    public sealed record Settings(string PortalDirectory, string Database, int Mailboxes, string WorkDirectory, TextWriter Log);

    public sealed record Result(double P50Ms, double P99Ms, string? Wrk, double StartSeconds, double AllStartedSeconds, string StartReport, double EmailSeconds, int Emails);

    private const int TimedRequests = 200;

    public static async Task<Result> RunAsync(Settings s)
    {
        await using var smtp = new SmtpSink();
        await smtp.StartAsync();
        string connection;
        string? pgDatabase = null;
        PostgresServer? pg = null;
        if (s.Database == "postgres")
        {
            pg = await PostgresServer.SharedAsync();
            pgDatabase = await pg.CreateDatabaseAsync("bench");
            connection = pg.ConnectionString(pgDatabase);
        }
        else
        {
            var file = Path.Combine(s.WorkDirectory, "dashboard.db");
            foreach (var f in Directory.GetFiles(s.WorkDirectory, "dashboard.db*")) File.Delete(f);
            connection = $"Data Source={file}";
        }

        var port = LoopbackPort.Free();
        var admin = ("admin@bench.test", "Bench-" + Convert.ToHexString(Guid.NewGuid().ToByteArray()) + "-Pw1");
        using var portal = StartPortal(s, port, connection, admin.Item1, admin.Item2, smtp.Port);
        try
        {
            await WaitListeningAsync(portal, port);
            using var client = new PortalClient(new Uri($"http://127.0.0.1:{port}"));
            var project = await SetUpAsync(client, s, admin);

            var path = $"/Admin/Projects/Dashboard/{project}";
            for (var i = 0; i < 20; i++) await client.GetStringAsync(path); // warm: what a portal in service has compiled
            var times = new List<double>(TimedRequests);
            for (var i = 0; i < TimedRequests; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await client.GetStringAsync(path);
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            times.Sort();
            var p50 = times[TimedRequests / 2];
            var p99 = times[(int)Math.Ceiling(TimedRequests * 0.99) - 1];
            s.Log.WriteLine($"dashboard ({s.Database}): {TimedRequests} requests, p50 {p50:0.0} ms, p99 {p99:0.0} ms");
            var wrk = await WrkAsync(client, $"http://127.0.0.1:{port}{path}", s.Log);

            var dashboard = await client.GetAsync(path);
            var startedAt = Stopwatch.GetTimestamp();
            var after = await client.SubmitAsync(Form(dashboard, "form#mailboxes"), "Start", new Dictionary<string, string> { ["allMatching"] = "true" });
            var start = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            s.Log.WriteLine($"start ({s.Database}): answered in {start:0.00} s: {after.QuerySelector("#action-report")?.TextContent.Trim()}");
            // A large Start is applied in the background: the dashboard reloads itself until its report has nothing waiting.
            var reportAddress = client.LastAddress!.PathAndQuery;
            while (after.QuerySelector("#report-waiting") is not null)
            {
                await Task.Delay(200);
                after = await client.GetAsync(reportAddress);
            }
            var allStarted = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            var report = after.QuerySelector("#action-report p")?.TextContent.Trim() ?? "(no report)";
            s.Log.WriteLine($"start ({s.Database}): every mailbox started {allStarted:0.00} s after Start was pressed: {report}");

            var expected = s.Mailboxes / 2;
            var deadline = DateTime.UtcNow.AddMinutes(10);
            while (smtp.Messages.Count < expected && DateTime.UtcNow < deadline && !portal.HasExited)
                await Task.Delay(50);
            var emails = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
            s.Log.WriteLine($"emails ({s.Database}): {smtp.Messages.Count} of {expected} accepted by the SMTP server {emails:0.0} s after Start was pressed");
            return new Result(p50, p99, wrk, start, allStarted, report, emails, smtp.Messages.Count);
        }
        finally
        {
            if (!portal.HasExited)
            {
                portal.Kill(entireProcessTree: true);
                await portal.WaitForExitAsync();
            }
            if (pg is not null && pgDatabase is not null) await pg.DropDatabaseAsync(pgDatabase);
        }
    }

    /// <returns>The project's id, holding <see cref="Settings.Mailboxes"/> mailboxes, with as many licenses.</returns>
    private static async Task<int> SetUpAsync(PortalClient client, Settings s, (string Email, string Password) admin)
    {
        await client.SubmitAsync(Form(await client.GetAsync("/Admin/Account/Login"), "main form"), "Log in",
            new Dictionary<string, string> { ["Input.Email"] = admin.Email, ["Input.Password"] = admin.Password });
        await client.SubmitAsync(Form(await client.GetAsync("/Admin/Licenses"), "main form"), "Add licenses",
            new Dictionary<string, string> { ["Input.Quantity"] = s.Mailboxes.ToString(CultureInfo.InvariantCulture), ["Input.Note"] = "bench" });
        await client.SubmitAsync(Form(await client.GetAsync("/Admin/Projects/Create"), "main form"), "Create project", new Dictionary<string, string>
        {
            ["Input.Name"] = $"bench {s.Mailboxes} mailboxes",
            ["Input.SourceHost"] = "imap.source.bench.test",
            ["Input.SourcePort"] = "993",
            ["Input.DestinationHost"] = "imap.destination.bench.test",
            ["Input.DestinationPort"] = "993",
            ["Input.MaxConcurrentMigrations"] = "20",
        });
        var path = client.LastAddress?.AbsolutePath ?? "";
        if (!path.StartsWith("/Admin/Projects/Dashboard/", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("The project was not created.");
        var project = int.Parse(path.Split('/').Last(), CultureInfo.InvariantCulture);

        // Half the users' passwords are known to the admin; the other half are asked for by email when Start is pressed.
        var known = s.Mailboxes - s.Mailboxes / 2;
        var t = Stopwatch.GetTimestamp();
        await BulkAddAsync(client, project, Csv(0, known, withPasswords: true), sourceUnknown: false);
        await BulkAddAsync(client, project, Csv(known, s.Mailboxes - known, withPasswords: false), sourceUnknown: true);
        s.Log.WriteLine($"bulk add ({s.Database}): {s.Mailboxes} mailboxes in {Stopwatch.GetElapsedTime(t).TotalSeconds:0.0} s (two files, preview and confirm each)");
        return project;
    }

    private static string Csv(int first, int count, bool withPasswords)
    {
        var csv = new StringBuilder("Source Email,Source Login Name,Source Password,Destination Email,Destination Login Name,Destination Password,Flags\n");
        for (var i = first; i < first + count; i++)
            csv.Append(CultureInfo.InvariantCulture, $"user{i:00000}@source.bench.test,,{(withPasswords ? $"Src-{i}-pw" : "")},user{i:00000}@destination.bench.test,,Dst-{i}-pw,\n");
        return csv.ToString();
    }

    private static async Task BulkAddAsync(PortalClient client, int project, string csv, bool sourceUnknown)
    {
        var upload = await client.GetAsync($"/Admin/Mailboxes/BulkAdd?projectId={project}");
        var preview = await client.UploadAsync(Form(upload, "form#upload"), "Preview", "Input.File", "mailboxes.csv", Encoding.UTF8.GetBytes(csv),
            new Dictionary<string, string> { ["Input.SourceUnknown"] = sourceUnknown ? "true" : "false" });
        var confirm = preview.QuerySelector("form#confirm") as IHtmlFormElement
            ?? throw new InvalidOperationException("Bulk Add offered nothing to confirm: " + preview.QuerySelector("#preview-summary, .errors")?.TextContent.Trim());
        var button = confirm.QuerySelector("button[type=submit]")!.TextContent.Trim();
        await client.SubmitAsync(confirm, button);
    }

    /// <summary>20 clients for 10 s with Debian's wrk, when installed: "N requests/s, p99 M ms".</summary>
    private static async Task<string?> WrkAsync(PortalClient client, string url, TextWriter log)
    {
        if (!File.Exists("/usr/bin/wrk")) return null;
        var start = new ProcessStartInfo("/usr/bin/wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-t2", "-c20", "-d10s", "--latency", "-H", "Cookie: " + client.CookieHeader(new Uri(url)), url })
            start.ArgumentList.Add(a);
        using var wrk = Process.Start(start)!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        var rps = WrkRate().Match(output);
        var p99 = WrkP99().Match(output);
        var non2xx = WrkErrors().Match(output);
        if (!rps.Success || !p99.Success) return null;
        var text = $"{double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture):0} requests/s, p99 {p99.Groups[1].Value}{p99.Groups[2].Value}"
            + (non2xx.Success ? $" ({non2xx.Groups[1].Value} answers not 2xx)" : "");
        log.WriteLine($"dashboard under 20 clients (wrk, 10 s): {text}");
        return text;
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex WrkRate();

    [GeneratedRegex(@"\s99%\s+([0-9.]+)(us|ms|s)")]
    private static partial Regex WrkP99();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex WrkErrors();

    private static Process StartPortal(Settings s, int port, string connection, string adminEmail, string adminPassword, int smtpPort)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = s.PortalDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("MigrationPortal.Web.dll");
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        var env = start.Environment;
        env["ConnectionStrings__Portal"] = connection;
        env["Database__Provider"] = s.Database == "postgres" ? "Postgres" : "Sqlite";
        env["Admin__Email"] = adminEmail;
        env["Admin__Password"] = adminPassword;
        env["Portal__PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        env["Smtp__Host"] = "127.0.0.1";
        env["Smtp__Port"] = smtpPort.ToString(CultureInfo.InvariantCulture);
        env["Smtp__UseTls"] = "false";
        // No mail server behind the project: the worker would only fail the Submitted half, adding load to what is timed.
        env["Migration__Enabled"] = "false";
        env["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        var log = new StreamWriter(Path.Combine(s.WorkDirectory, $"portal-{s.Database}.log"), append: false) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitListeningAsync(Process portal, int port)
    {
        for (var i = 0; i < 600; i++)
        {
            if (portal.HasExited) throw new InvalidOperationException($"The portal ended at start-up (exit {portal.ExitCode}); see its log.");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"The portal was not listening on {port} after 60 s.");
    }


    private static IHtmlFormElement Form(IHtmlDocument page, string selector) =>
        page.QuerySelector(selector) as IHtmlFormElement ?? throw new InvalidOperationException($"No {selector} on {page.Url}");
}
