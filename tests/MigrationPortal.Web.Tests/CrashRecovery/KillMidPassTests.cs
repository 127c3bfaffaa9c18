using System.Diagnostics;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;
using Xunit.Abstractions;

namespace MigrationPortal.Web.Tests.CrashRecovery;

/// <summary>
/// The portal process ended in the middle of a pass, by SIGTERM (a clean shutdown) or outright by SIGKILL (no shutdown,
/// no last checkpoint), and a new process started on the same SQLite file: it takes the mailbox over (after a kill once
/// the dead one's lease has run out) and
/// finishes the pass, and the destination ends up holding exactly the source's mail, nothing twice and nothing lost.
/// A real process, not a host in the test's own process, because only then is nothing of the portal's code left
/// running to tidy up: whatever the dead process had appended but not checkpointed has to be recognised from the
/// database and the destination alone.
/// </summary>
public sealed class KillMidPassTests(MailServers servers, ITestOutputHelper output) : IClassFixture<MailServers>
{
    private const string Password = "Kill-Nine-Passw0rd";

    // Three folders, nested and with non-ASCII names: enough mail that a pass takes several seconds, so the kill lands
    // in the middle of a folder with whole folders still to do.
    private static readonly (string Folder, int Count)[] Seed = [("INBOX", 1200), ("Archive/2025", 800), ("Rechnungen/Ärzte & Co", 600)];

    [Fact]
    public async Task KillNine_MidPass_NextProcessResumesToCompletedWithExactlyTheSourceMessages()
    {
        // The shortest lease the portal accepts: the next process takes the mailbox over 5 s after the last heartbeat.
        await using var run = await MidPassAsync("Kill move", lease: TimeSpan.FromSeconds(5));
        try
        {
            await run.First.KillAsync();
            var afterKill = await MailboxContent.ReadAsync(servers.Destination, run.Email, Password);
            run.Log($"killed; the destination holds {afterKill.Summary}");
            Assert.InRange(afterKill.MessageCount, 1, run.Total - 1);

            // A new process on the same database, as after a crash and a restart by systemd.
            await run.ResumeAndCompareAsync(servers);
        }
        catch
        {
            run.WriteOutputs();
            throw;
        }
    }

    /// <summary>
    /// SIGTERM, as systemd or <c>docker stop</c> send it: the process ends the pass at a message boundary, records what
    /// the pass really copied, gives its claim back and exits by itself; the next process takes the mailbox over at
    /// once (the lease here is far longer than the test waits) and finishes the same pass, nothing twice.
    /// </summary>
    [Fact]
    public async Task SigTerm_MidPass_ExitsCleanlyWithTheStatisticsOfWhatMovedAndTheNextProcessResumesAtOnce()
    {
        await using var run = await MidPassAsync("Term move", lease: TimeSpan.FromMinutes(10));
        try
        {
            var asked = Stopwatch.StartNew();
            var exitCode = await run.First.TerminateAsync(TimeSpan.FromSeconds(15));
            run.Log($"SIGTERM: exited with {exitCode} after {asked.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(0, exitCode);
            Assert.True(asked.Elapsed < TimeSpan.FromSeconds(5), $"The portal took {asked.Elapsed.TotalSeconds:0.0} s to stop.");
            Assert.Contains("pass suspended for shutdown", run.First.Output);

            // What the pass says it copied is what the destination holds: nothing appended after its last record.
            var afterTerm = await MailboxContent.ReadAsync(servers.Destination, run.Email, Password);
            var recorded = await CopiedByPassAsync(run.Database, run.Mailbox);
            run.Log($"the pass recorded {recorded} copied; the destination holds {afterTerm.Summary}");
            Assert.InRange(afterTerm.MessageCount, 1, run.Total - 1);
            Assert.Equal(afterTerm.MessageCount, recorded);

            // The claim was given back: the next process does not wait for the 10-minute lease to run out.
            await run.ResumeAndCompareAsync(servers, within: TimeSpan.FromSeconds(60));
        }
        catch
        {
            run.WriteOutputs();
            throw;
        }
    }

    /// <summary>
    /// A portal process migrating a seeded mailbox, caught in the middle of its pass: the dashboard says Migrating and
    /// the destination holds a good part, but not all, of the mail.
    /// </summary>
    private async Task<MidPassRun> MidPassAsync(string projectName, TimeSpan lease)
    {
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("migrationportal-kill-").FullName;
        var email = $"k{Guid.NewGuid():N}"[..12] + "@example.org";
        await servers.Source.AddUserAsync(email, Password);
        await servers.Destination.AddUserAsync(email, Password);
        foreach (var (folder, count) in Seed)
            await servers.Source.AppendMessagesAsync(email, Password, folder, Messages(folder, count));
        var source = await MailboxContent.ReadAsync(servers.Source, email, Password);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: seeded {source.Summary}");

        var database = Path.Combine(dir, "portal.db");
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Portal"] = $"Data Source={database}",
            ["Database__Provider"] = "Sqlite",
            ["Admin__Email"] = PortalFactory.AdminEmail,
            ["Admin__Password"] = PortalFactory.AdminPassword,
            ["Smtp__Host"] = "",
            ["Smtp__PickupDirectory"] = Path.Combine(dir, "mail"),
            ["Migration__Enabled"] = "true",
            ["Migration__Lease"] = lease.ToString("c"),
            ["Migration__Heartbeat"] = "00:00:00.500",
            ["Migration__PollInterval"] = "00:00:00.500",
        };
        var run = new MidPassRun(output, clock, dir, database, environment, email, source);
        try
        {
            run.First = await PortalProcess.StartAsync(environment);
            run.Log($"first portal (pid {run.First.Id}) answers at {run.First.BaseUrl}");
            using var admin = new AdminPagesOn(run.First);
            await admin.Pages.LoginAsync();
            await admin.Pages.AddLicensesAsync(1);
            run.Project = await admin.Pages.CreateProjectAsync(projectName, (servers.Source.Host, servers.Source.Port, "None"),
                (servers.Destination.Host, servers.Destination.Port, "None"));
            run.Mailbox = await admin.Pages.AddMailboxAsync(run.Project, email, Password, Password, login: email);
            await admin.Pages.ActAsync(run.Project, "Start", [run.Mailbox]);

            var atStop = await WaitUntilAsync(run.First, async () =>
            {
                var copied = await CountAsync(servers.Destination, email);
                if (copied >= run.Total)
                    throw new Xunit.Sdk.XunitException($"The pass copied all {run.Total} messages before the test could stop it: seed more mail.");
                if (copied < run.Total / 5) return (false, copied);
                return (AdminPages.StatusOf(await admin.Pages.DashboardAsync(run.Project), run.Mailbox) == "Migrating", copied);
            }, "the destination to hold a fifth of the mail while the mailbox is Migrating");
            run.Log($"mid-pass: {atStop} of {run.Total} copied");
            return run;
        }
        catch
        {
            run.WriteOutputs();
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>The copied count on the mailbox's one pass, read from the database file itself (no portal runs now).</summary>
    private static async Task<int> CopiedByPassAsync(string database, int mailbox)
    {
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<MigrationPortal.Data.PortalDbContext>()
            .UseSqlite($"Data Source={database}").Options;
        await using var db = new MigrationPortal.Data.PortalDbContext(options);
        return await db.MigrationPasses.Where(p => p.MailboxId == mailbox).Select(p => p.ItemsCopied).SingleAsync();
    }

    private sealed class MidPassRun(ITestOutputHelper output, Stopwatch clock, string dir, string database,
        IReadOnlyDictionary<string, string> environment, string email, MailboxContent source) : IAsyncDisposable
    {
        public PortalProcess First { get; set; } = null!;
        public PortalProcess? Second { get; private set; }
        public string Database => database;
        public string Email => email;
        public int Total => source.MessageCount;
        public int Project { get; set; }
        public int Mailbox { get; set; }

        public void Log(string text) => output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {text}");

        /// <summary>
        /// A new process on the same database finishes the pass; the destination then holds exactly the source's mail,
        /// and the mailbox's page tells the same story: one pass (resumed, not begun again) that found and copied every
        /// message once, none "skipped" (already in the destination before the pass: none were), none failed; and per
        /// folder the same. All compared at once, so a failure shows every figure that is off.
        /// </summary>
        public async Task ResumeAndCompareAsync(MailServers servers, TimeSpan? within = null)
        {
            Second = await PortalProcess.StartAsync(environment);
            Log($"second portal (pid {Second.Id}) answers");
            using var admin2 = new AdminPagesOn(Second);
            await admin2.Pages.LoginAsync();
            await WaitUntilAsync(Second, async () =>
            {
                var dashboard = await admin2.Pages.DashboardAsync(Project);
                var status = AdminPages.StatusOf(dashboard, Mailbox);
                if (status == "Failed")
                    throw new Xunit.Sdk.XunitException("The resumed pass failed: " + dashboard.QuerySelector($"tr[data-mailbox-id='{Mailbox}']")?.TextContent);
                return (status == "Completed", status);
            }, "the mailbox to be Completed", within);
            Log("Completed");

            var destination = await MailboxContent.ReadAsync(servers.Destination, email, Password);
            Assert.Empty(destination.DifferencesFrom(source));

            var details = await admin2.Pages.Client.GetAsync($"/Admin/Mailboxes/Details/{Mailbox}");
            var shown = details.QuerySelectorAll("#passes tbody tr")
                .Select(p => $"pass {p.GetAttribute("data-pass")}: {Cell(p, "outcome")}, found {Cell(p, "found")}, copied {Cell(p, "copied")}, skipped {Cell(p, "skipped")}, failed {Cell(p, "failed")}")
                .Concat(details.QuerySelectorAll("#pass-1-folders tbody tr[data-folder]")
                    .Select(f => $"{f.GetAttribute("data-folder")}: found {Cell(f, "found")}, copied {Cell(f, "copied")}, skipped {Cell(f, "skipped")}, failed {Cell(f, "failed")}")
                    .Order(StringComparer.Ordinal))
                .ToList();
            var bytes = StatisticsBytes(details);
            var expected = new[] { $"pass 1: Completed, found {Total} messages in {source.Folders.Count} folders ({bytes}), copied {Total} messages ({bytes}), skipped 0, failed 0" }
                .Concat(source.Folders.Select(f => $"{f.Key}: found {f.Value.Count}, copied {f.Value.Count}, skipped 0, failed 0").Order(StringComparer.Ordinal))
                .ToList();
            Assert.True(shown.SequenceEqual(expected),
                $"The mailbox's page says:\n{string.Join("\n", shown)}\nwhile the mail that moved (the destination now holds exactly the source) is:\n{string.Join("\n", expected)}");
        }

        /// <summary>The portals' own account of what happened, for the failure report.</summary>
        public void WriteOutputs()
        {
            if (First is not null) output.WriteLine("First portal's output:\n" + Tail(First.Output));
            if (Second is not null) output.WriteLine("Second portal's output:\n" + Tail(Second.Output));
        }

        public async ValueTask DisposeAsync()
        {
            if (First is not null) await First.DisposeAsync();
            if (Second is not null) await Second.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Distinct messages of a few hundred bytes to a few kilobytes, each with its own Message-ID, and one exact twin per folder.</summary>
    private static List<MimeMessage> Messages(string folder, int count)
    {
        var random = new Random(folder.Length * 7919 + count);
        var messages = new List<MimeMessage>(count);
        for (var i = 0; i < count - 1; i++)
        {
            var message = new MimeMessage { Subject = $"{folder} #{i}", Date = new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(i) };
            message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
            message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
            message.Body = new TextPart("plain") { Text = string.Join("\r\n", Enumerable.Range(0, random.Next(5, 60)).Select(line => $"Line {line} of message {i} in {folder}.")) };
            messages.Add(message);
        }
        // A mailbox may hold the same message twice (the same bytes, the same Message-ID): both are copied.
        messages.Add(messages[count / 2]);
        return messages;
    }

    /// <summary>Messages in all the user's folders, from STATUS: cheap enough to ask every few milliseconds.</summary>
    private static async Task<int> CountAsync(DovecotServer server, string login)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, Password);
        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0], StatusItems.Count, subscribedOnly: false);
        var count = folders.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect)).Sum(f => f.Count);
        await client.DisconnectAsync(quit: true);
        return count;
    }

    private static async Task<T> WaitUntilAsync<T>(PortalProcess portal, Func<Task<(bool Done, T State)>> condition, string what,
        TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (portal.HasExited)
                throw new InvalidOperationException($"The portal exited while the test waited for {what}.");
            var (done, state) = await condition();
            if (done) return state;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}; last seen: {state}.");
            await Task.Delay(50);
        }
    }

    /// <summary>The bytes the pass found, as the page writes them; the test checks that it copied as many, not how they are formatted.</summary>
    private static string StatisticsBytes(IHtmlDocument details)
    {
        var found = Cell(details.QuerySelector("#passes tbody tr")!, "found");
        var open = found.IndexOf('(', StringComparison.Ordinal);
        return open < 0 ? "(no bytes shown)" : found[(open + 1)..].TrimEnd(')');
    }

    private static string Cell(AngleSharp.Dom.IElement row, string cell) => row.QuerySelector($"td.{cell}")?.TextContent.Trim() ?? "(no cell)";

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(80));

    /// <summary>The admin's browser on a portal process: the same page objects the in-process tests use.</summary>
    private sealed class AdminPagesOn(PortalProcess portal) : IDisposable
    {
        private readonly HtmlClient _client = portal.CreateClient();

        public AdminPages Pages => field ??= new(_client);

        public void Dispose() => _client.Dispose();
    }
}
