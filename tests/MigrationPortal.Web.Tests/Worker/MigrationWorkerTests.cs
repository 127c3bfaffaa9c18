using MailKit;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>The whole story on real servers: Start, the user's link, the worker's pass, Completed, the mail in the destination.</summary>
public sealed class MigrationWorkerTests(MailServers servers) : IClassFixture<MailServers>
{
    private static readonly Dictionary<string, string?> WorkerOn = new()
    {
        ["Migration:Enabled"] = "true",
        ["Migration:Heartbeat"] = "00:00:00.200",
        ["Migration:PollInterval"] = "00:00:00.500",
    };

    [Fact]
    public async Task UserSubmitsCredentials_WorkerMigratesToCompletedAndASecondPassCopiesNothing()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: WorkerOn);
        foreach (var (folder, subject) in new[] { ("INBOX", "one"), ("INBOX", "two"), ("Projects/2026", "nested"), ("Rechnungen/Ärzte & Co", "umlaut") })
            await servers.Source.AppendMessageAsync(s.Email, s.SourcePassword, folder, Message(subject));
        var link = await s.StartAndReadLinkAsync();

        Assert.Contains("Thank you", (await s.SubmitAsync(link)).Body!.TextContent);
        var done = await WaitForStatusAsync(s, "Completed");

        Assert.Contains("#1 Completed", Row(done, s.MailboxId));
        Assert.Contains("4 items", Row(done, s.MailboxId));
        Assert.Contains("Consumed (1 passes)", Row(done, s.MailboxId));
        Assert.Equal(await CountsAsync(servers.Source, s.Email, s.SourcePassword), await CountsAsync(servers.Destination, s.Email, s.DestinationPassword));

        // Started again: the checkpoints say everything is there already.
        await s.Admin.ActAsync(s.ProjectId, "Start", [s.MailboxId]);
        var again = await WaitForStatusAsync(s, "Completed", pass: 2);
        Assert.Contains("#2 Completed", Row(again, s.MailboxId));
        Assert.Contains("0 items", Row(again, s.MailboxId));
        Assert.Equal(4, (await CountsAsync(servers.Destination, s.Email, s.DestinationPassword)).Values.Sum());
    }

    [Fact]
    public async Task Start_WrongDestinationPassword_FailedNamingTheDestination()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: WorkerOn);
        var mailbox = await s.Admin.AddMailboxAsync(s.ProjectId, "alias." + s.Email, s.SourcePassword, "not-the-password", login: s.Email);

        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        var dashboard = await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) == "Failed");

        Assert.Contains("Destination credentials are incorrect", Row(dashboard, mailbox));
        Assert.Equal(0, (await CountsAsync(servers.Destination, s.Email, s.DestinationPassword)).Values.Sum());
    }

    [Fact]
    public async Task Start_WorkerPollingOnlyEveryMinute_WokenAndMigratingWithinTwoSeconds()
    {
        // Polling alone would take up to a minute: only the wake-up that Start sends can be this quick.
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>(WorkerOn)
        {
            ["Migration:PollInterval"] = "00:01:00",
        });
        await SeedAsync(servers.Source, s.Email, s.SourcePassword, 300);
        var mailbox = await s.Admin.AddMailboxAsync(s.ProjectId, "alias." + s.Email, s.SourcePassword, s.DestinationPassword, login: s.Email);

        var pressed = DateTimeOffset.UtcNow;
        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) is "Migrating" or "Completed");

        // When the worker began the pass, by the portal's own clock (the system's here): not this test's page loads.
        var began = await s.Portal.WithDbAsync(db => db.MigrationPasses.AsNoTracking().Where(p => p.MailboxId == mailbox).Select(p => p.StartedAt).SingleAsync());
        Assert.True(began - pressed < TimeSpan.FromSeconds(2), $"Migrating {(began - pressed).TotalSeconds:0.0} s after Start.");
    }

    [Fact]
    public async Task Start_SourceServerUnreachable_FailedWithTheServersAnswer()
    {
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var s = await AccessScenario.CreateAsync(servers, sourceEndpoint: ("127.0.0.1", port),
            settings: new Dictionary<string, string?>(WorkerOn) { ["Migration:Retries"] = "0" });
        var mailbox = await s.Admin.AddMailboxAsync(s.ProjectId, "alias." + s.Email, s.SourcePassword, s.DestinationPassword, login: s.Email);

        await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
        var dashboard = await WaitForAsync(s, d => AdminPages.StatusOf(d, mailbox) == "Failed");

        Assert.Contains($"Source server unreachable: Could not connect to 127.0.0.1:{port}", Row(dashboard, mailbox));
    }

    [Fact]
    public async Task Stop_MidPass_StoppedWithinFiveSecondsWithStatisticsAsCopiedThenStartCopiesTheRestOnce()
    {
        // A heartbeat of a minute: what ends the pass within seconds is Stop telling the running passes at once.
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>(WorkerOn)
        {
            ["Migration:Heartbeat"] = "00:01:00",
            ["Migration:Lease"] = "00:05:00",
        });
        const int total = 1500;
        await SeedAsync(servers.Source, s.Email, s.SourcePassword, total);
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        await WaitUntilAsync(async () => await CopiedAsync(s) >= 50);

        var pressed = System.Diagnostics.Stopwatch.StartNew();
        await s.Admin.ActAsync(s.ProjectId, "Stop", [s.MailboxId]);
        var stopped = await WaitForAsync(s, d => AdminPages.StatusOf(d, s.MailboxId) == "Stopped");
        var took = pressed.Elapsed;

        Assert.True(took < TimeSpan.FromSeconds(5), $"Stop took {took.TotalSeconds:0.0} s.");
        var pass = await s.Portal.WithDbAsync(db => db.MigrationPasses.AsNoTracking().SingleAsync(p => p.MailboxId == s.MailboxId));
        var inDestination = (await CountsAsync(servers.Destination, s.Email, s.DestinationPassword)).Values.Sum();
        Assert.InRange(pass.ItemsCopied, 50, total - 1);
        Assert.Equal(pass.ItemsCopied, inDestination); // the pass's statistics are what really moved
        Assert.Contains("Consumed", Row(stopped, s.MailboxId));

        await s.Admin.ActAsync(s.ProjectId, "Start", [s.MailboxId]);
        await WaitForStatusAsync(s, "Completed", pass: 2);
        Assert.Equal(total, (await CountsAsync(servers.Destination, s.Email, s.DestinationPassword)).Values.Sum());
    }

    [Fact]
    public async Task Shutdown_MidPass_ResumedByTheNextStartWithoutDuplicates()
    {
        var dir = Directory.CreateTempSubdirectory("migrationportal-resume-").FullName;
        try
        {
            var email = $"w{Guid.NewGuid():N}"[..12] + "@example.org";
            const string password = "Resume-Passw0rd";
            const int total = 1500;
            await servers.Source.AddUserAsync(email, password);
            await servers.Destination.AddUserAsync(email, password);
            await SeedAsync(servers.Source, email, password, total);
            var settings = new Dictionary<string, string?>(WorkerOn) { ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(dir, "portal.db")}" };

            int mailbox;
            var first = new PortalFactory(settings);
            await using (first)
            {
                var admin = AdminPages.Open(first);
                await admin.LoginAsync();
                await admin.AddLicensesAsync(1);
                var project = await admin.CreateProjectAsync("Resume move", (servers.Source.Host, servers.Source.Port, "None"),
                    (servers.Destination.Host, servers.Destination.Port, "None"));
                mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);
                await admin.ActAsync(project, "Start", [mailbox]);
                await WaitUntilAsync(async () => await first.WithDbAsync(db => db.MigrationPasses.Where(p => p.MailboxId == mailbox).Select(p => p.ItemsCopied).SingleOrDefaultAsync()) >= 50);
            } // the host stops here, as on SIGTERM: the pass ends at a message boundary and keeps its checkpoints
            Assert.Contains(first.LogLines, l => l.Contains("pass suspended for shutdown"));

            await using var second = new PortalFactory(settings);
            await WaitUntilAsync(async () => await second.WithDbAsync(db => db.Mailboxes.AnyAsync(m => m.Id == mailbox && m.Status == MigrationPortal.Core.Mailboxes.MailboxStatus.Completed)));

            Assert.Equal(total, (await CountsAsync(servers.Destination, email, password)).Values.Sum());
            var pass = await second.WithDbAsync(db => db.MigrationPasses.AsNoTracking().SingleAsync(p => p.MailboxId == mailbox));
            Assert.Equal(total, pass.ItemsCopied);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task SeedAsync(MigrationPortal.Fixtures.Dovecot.DovecotServer server, string login, string password, int count)
    {
        await using var session = await new ImapConnector().ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(login, password), default);
        for (var i = 0; i < count; i++)
            await session.Store.Inbox.AppendAsync(new AppendRequest(Message($"bulk {i}")));
    }

    private static Task<int> CopiedAsync(AccessScenario s) =>
        s.Portal.WithDbAsync(db => db.MigrationPasses.Where(p => p.MailboxId == s.MailboxId).Select(p => p.ItemsCopied).SingleOrDefaultAsync());

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition never held.");
            await Task.Delay(20);
        }
    }

    private static MimeMessage Message(string subject)
    {
        var message = new MimeMessage { Subject = subject };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
        return message;
    }

    private static string Row(AngleSharp.Html.Dom.IHtmlDocument dashboard, int mailbox) =>
        dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")?.TextContent ?? "(no row)";

    private static Task<AngleSharp.Html.Dom.IHtmlDocument> WaitForStatusAsync(AccessScenario s, string status, int pass = 1) =>
        WaitForAsync(s, d => AdminPages.StatusOf(d, s.MailboxId) == status && Row(d, s.MailboxId).Contains($"#{pass} "));

    private static Task<AngleSharp.Html.Dom.IHtmlDocument> WaitForAsync(AccessScenario s, Func<AngleSharp.Html.Dom.IHtmlDocument, bool> done) =>
        s.Admin.WaitForDashboardAsync(s.ProjectId, done, s.Portal.LogLines);

    /// <summary>Messages per folder, as the server sees them.</summary>
    private static async Task<Dictionary<string, int>> CountsAsync(MigrationPortal.Fixtures.Dovecot.DovecotServer server, string login, string password)
    {
        await using var session = await new ImapConnector().ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(login, password), default);
        var counts = new Dictionary<string, int>();
        foreach (var folder in await session.Store.GetFoldersAsync(session.Store.PersonalNamespaces[0]))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect)) continue;
            await folder.OpenAsync(FolderAccess.ReadOnly);
            if (folder.Count > 0) counts[folder.FullName] = folder.Count;
        }
        return counts;
    }
}
