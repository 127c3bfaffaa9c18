using System.Diagnostics;
using AngleSharp.Html.Dom;
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
/// The portal process killed outright (SIGKILL: no shutdown, no last checkpoint) in the middle of a pass, and a new
/// process started on the same SQLite file: it takes the mailbox over once the dead one's lease has run out and
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
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("migrationportal-kill-").FullName;
        var email = $"k{Guid.NewGuid():N}"[..12] + "@example.org";
        await servers.Source.AddUserAsync(email, Password);
        await servers.Destination.AddUserAsync(email, Password);
        foreach (var (folder, count) in Seed)
            await servers.Source.AppendMessagesAsync(email, Password, folder, Messages(folder, count));
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: appended");
        var source = await MailboxContent.ReadAsync(servers.Source, email, Password);
        var total = source.MessageCount;
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: seeded {source.Summary}");

        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(dir, "portal.db")}",
            ["Database__Provider"] = "Sqlite",
            ["Admin__Email"] = PortalFactory.AdminEmail,
            ["Admin__Password"] = PortalFactory.AdminPassword,
            ["Smtp__Host"] = "",
            ["Smtp__PickupDirectory"] = Path.Combine(dir, "mail"),
            ["Migration__Enabled"] = "true",
            // The shortest lease the portal accepts: the next process takes the mailbox over 5 s after the last heartbeat.
            ["Migration__Lease"] = "00:00:05",
            ["Migration__Heartbeat"] = "00:00:00.500",
            ["Migration__PollInterval"] = "00:00:00.500",
        };
        PortalProcess? first = null, second = null;
        try
        {
            first = await PortalProcess.StartAsync(environment);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: first portal (pid {first.Id}) answers at {first.BaseUrl}");
            using var admin = new AdminPagesOn(first);
            await admin.Pages.LoginAsync();
            await admin.Pages.AddLicensesAsync(1);
            var project = await admin.Pages.CreateProjectAsync("Kill move", (servers.Source.Host, servers.Source.Port, "None"),
                (servers.Destination.Host, servers.Destination.Port, "None"));
            var mailbox = await admin.Pages.AddMailboxAsync(project, email, Password, Password, login: email);
            await admin.Pages.ActAsync(project, "Start", [mailbox]);

            // Killed once the dashboard says Migrating and the destination holds a good part, but not all, of the mail.
            var atKill = await WaitUntilAsync(first, async () =>
            {
                var copied = await CountAsync(servers.Destination, email);
                if (copied >= total)
                    throw new Xunit.Sdk.XunitException($"The pass copied all {total} messages before the test could kill it: seed more mail.");
                if (copied < total / 5) return (false, copied);
                return (AdminPages.StatusOf(await admin.Pages.DashboardAsync(project), mailbox) == "Migrating", copied);
            }, "the destination to hold a fifth of the mail while the mailbox is Migrating");
            await first.KillAsync();
            var afterKill = await MailboxContent.ReadAsync(servers.Destination, email, Password);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: killed at {atKill} of {total} copied; the destination holds {afterKill.Summary}");
            Assert.InRange(afterKill.MessageCount, 1, total - 1);

            // A new process on the same database, as after a crash and a restart by systemd.
            second = await PortalProcess.StartAsync(environment);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: second portal (pid {second.Id}) answers");
            using var admin2 = new AdminPagesOn(second);
            await admin2.Pages.LoginAsync();
            await WaitUntilAsync(second, async () =>
            {
                var dashboard = await admin2.Pages.DashboardAsync(project);
                var status = AdminPages.StatusOf(dashboard, mailbox);
                if (status == "Failed")
                    throw new Xunit.Sdk.XunitException("The resumed pass failed: " + dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")?.TextContent);
                return (status == "Completed", status);
            }, "the mailbox to be Completed");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: Completed");

            var destination = await MailboxContent.ReadAsync(servers.Destination, email, Password);
            Assert.Empty(destination.DifferencesFrom(source));

            // The mailbox's page tells the same story: one pass (resumed, not begun again) that found and copied every
            // message once, none of them "skipped" (already in the destination before the pass: none were), none failed;
            // and per folder the same. All compared at once, so a failure shows every figure that is off.
            var details = await admin2.Pages.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
            var shown = details.QuerySelectorAll("#passes tbody tr")
                .Select(p => $"pass {p.GetAttribute("data-pass")}: {Cell(p, "outcome")}, found {Cell(p, "found")}, copied {Cell(p, "copied")}, skipped {Cell(p, "skipped")}, failed {Cell(p, "failed")}")
                .Concat(details.QuerySelectorAll("#pass-1-folders tbody tr[data-folder]")
                    .Select(f => $"{f.GetAttribute("data-folder")}: found {Cell(f, "found")}, copied {Cell(f, "copied")}, skipped {Cell(f, "skipped")}, failed {Cell(f, "failed")}")
                    .Order(StringComparer.Ordinal))
                .ToList();
            var bytes = StatisticsBytes(details);
            var expected = new[] { $"pass 1: Completed, found {total} messages in {source.Folders.Count} folders ({bytes}), copied {total} messages ({bytes}), skipped 0, failed 0" }
                .Concat(source.Folders.Select(f => $"{f.Key}: found {f.Value.Count}, copied {f.Value.Count}, skipped 0, failed 0").Order(StringComparer.Ordinal))
                .ToList();
            Assert.True(shown.SequenceEqual(expected),
                $"The mailbox's page says:\n{string.Join("\n", shown)}\nwhile the mail that moved (the destination now holds exactly the source) is:\n{string.Join("\n", expected)}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: done");
        }
        catch
        {
            // The portals' own account of what happened, for the failure report.
            if (first is not null) output.WriteLine("First portal's output:\n" + Tail(first.Output));
            if (second is not null) output.WriteLine("Second portal's output:\n" + Tail(second.Output));
            throw;
        }
        finally
        {
            if (first is not null) await first.DisposeAsync();
            if (second is not null) await second.DisposeAsync();
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

    private static async Task<T> WaitUntilAsync<T>(PortalProcess portal, Func<Task<(bool Done, T State)>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (portal.HasExited)
                throw new InvalidOperationException($"The portal exited while the test waited for {what}.");
            var (done, state) = await condition();
            if (done) return state;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited 60 s for {what}; last seen: {state}.");
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
