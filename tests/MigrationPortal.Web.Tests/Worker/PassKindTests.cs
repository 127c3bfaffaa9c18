using AngleSharp.Html.Dom;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>
/// Start with each pass type, through the dashboard's real form, run by the real worker between two Dovecot servers.
/// What each kind copies is the engine's business (tested there); here: that the kind the admin chose is the pass the
/// worker ran, what the admin sees of it, and what it costs.
/// </summary>
public sealed class PassKindTests(DovecotPair servers) : IClassFixture<DovecotPair>
{
    private static Dictionary<string, string?> WorkerOn(int maxPassesPerLicense = 10) => new()
    {
        ["Migration:Enabled"] = "true",
        ["Migration:Heartbeat"] = "00:00:00.200",
        ["Migration:PollInterval"] = "00:00:00.500",
        ["Licenses:MaxPassesPerLicense"] = maxPassesPerLicense.ToString(),
    };

    [Fact]
    public async Task Start_EachKind_TheWorkerRunsItRecordedOnThePassAndRetryErrorsIsFree()
    {
        // One license covering 3 passes: after Full, Delta and Pre-Stage it is used up and the pool is empty,
        // so only a free pass can still start.
        var (portal, admin, project, mailbox) = await MailboxAsync(WorkerOn(maxPassesPerLicense: 3),
            ("INBOX", "small one", 100), ("INBOX", "far too large", 80_000), ("Projects", "nested", 100));
        await using var _ = portal;

        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Full" });
        var dashboard = await WaitForPassAsync(portal, admin, project, mailbox, 1);
        Assert.Equal("Delta", SelectedPassKind(dashboard)); // the default once a pass completed

        await admin.ActAsync(project, "Start", [mailbox]); // the default, as the admin leaves it
        await WaitForPassAsync(portal, admin, project, mailbox, 2);
        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "PreStage", ["preStageBefore"] = "2020-01-31" });
        dashboard = await WaitForPassAsync(portal, admin, project, mailbox, 3);
        Assert.Equal(0, AdminPages.LicensesAvailable(dashboard));
        var before = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Contains("3 passes on the current license", before.Body!.TextContent);
        var ledgerBefore = (await admin.Client.GetAsync("/Admin/Licenses")).QuerySelectorAll("#license-movements tbody tr").Length;

        // The license is used up and none is left: a Delta cannot start, Retry Errors (one message failed) can.
        var refused = await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Delta" });
        Assert.Contains("No license is available", AdminPages.Report(refused));
        Assert.Equal("Completed", AdminPages.StatusOf(refused, mailbox));
        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "RetryErrors" });
        dashboard = await WaitForPassAsync(portal, admin, project, mailbox, 4);

        Assert.Equal(0, AdminPages.LicensesAvailable(dashboard));
        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Contains("3 passes on the current license", details.Body!.TextContent);
        Assert.Contains("1 consumed", details.Body.TextContent);
        Assert.Equal(["Full", "Delta", "Pre-Stage (before 2020-01-31)", "Retry Errors"],
            Enumerable.Range(1, 4).Select(n => details.QuerySelector($"#passes tr[data-pass='{n}'] .kind")!.TextContent.Trim()));
        Assert.All(Enumerable.Range(1, 4), n => Assert.Equal("Completed", details.QuerySelector($"#passes tr[data-pass='{n}'] .outcome")!.TextContent.Trim()));
        var licenses = await admin.Client.GetAsync("/Admin/Licenses");
        Assert.Equal(0, AdminPages.LicensesAvailable(licenses));
        Assert.Equal(ledgerBefore, licenses.QuerySelectorAll("#license-movements tbody tr").Length); // nothing held, returned or consumed
    }

    [Fact]
    public async Task FullPass_Completed_DetailsShowFoldersFoundAndCopiedAndTheDashboardTheTotals()
    {
        var (portal, admin, project, mailbox) = await MailboxAsync(WorkerOn(),
            ("INBOX", "one", 100), ("INBOX", "two", 100), ("Projects/2026", "nested", 100), ("INBOX", "far too large", 80_000));
        await using var _ = portal;

        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Full" });
        var dashboard = await WaitForPassAsync(portal, admin, project, mailbox, 1);

        var row = dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")!;
        Assert.Contains("#1 Completed · Full", row.QuerySelector(".last-pass")!.TextContent);
        Assert.Contains("3 items copied", row.QuerySelector(".last-pass")!.TextContent);
        Assert.Contains("1 failed", row.QuerySelector(".last-pass")!.TextContent);
        Assert.Contains("messages/s", row.QuerySelector(".last-pass")!.TextContent);
        Assert.StartsWith("3 copied", row.QuerySelector(".totals")!.TextContent.Trim());
        Assert.Contains("1 not copied", row.QuerySelector(".totals")!.TextContent);
        Assert.Null(row.QuerySelector("progress")); // no bar once the pass ended

        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Contains("4 messages in", details.QuerySelector("#passes tr[data-pass='1'] .found")!.TextContent);
        Assert.Equal("1", details.QuerySelector("#passes tr[data-pass='1'] .failed")!.TextContent.Trim());
        var folders = details.QuerySelector("#pass-1-folders")
            ?? throw new Xunit.Sdk.XunitException("No folder statistics on the page (does the engine call SaveFolderAsync yet?)");
        Assert.Equal(("3", "2", "1"), Folder(folders, "INBOX"));
        Assert.Equal(("1", "1", "0"), Folder(folders, "Projects/2026"));
        Assert.Contains("far too large", details.QuerySelector("#failed-messages")!.TextContent);
    }

    [Fact]
    public async Task Delta_AfterAFlagChangeOnTheSource_UpdatesTheCopyAndDetailsSayWhatItSkippedAndUpdated()
    {
        var email = $"d{Guid.NewGuid():N}"[..12] + "@example.org";
        var (portal, admin, project, mailbox) = await MailboxAsync(WorkerOn(), email,
            ("INBOX", "one", 100), ("INBOX", "two", 100), ("Projects/2026", "nested", 100));
        await using var _ = portal;
        // And the same message twice (the same bytes and date): only the map of copied messages tells their copies apart.
        var twin = new MimeKit.MimeMessage { Subject = "twin", MessageId = "twin@example.org" };
        twin.From.Add(new MimeKit.MailboxAddress("Ada", "ada@example.org"));
        twin.Body = new MimeKit.TextPart("plain") { Text = "The same bytes\r\n" };
        using (var source = new ImapClient())
        {
            await source.ConnectAsync(servers.Source.Host, servers.Source.Port, SecureSocketOptions.None);
            await source.AuthenticateAsync(email, Password);
            for (var i = 0; i < 2; i++)
                await source.Inbox.AppendAsync(new AppendRequest(twin) { InternalDate = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero) });
        }
        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Full" });
        await WaitForPassAsync(portal, admin, project, mailbox, 1);

        // The user flags a message and the first twin in the old mailbox; the Delta (the default now) carries it over and opens nothing else.
        using (var source = new ImapClient())
        {
            await source.ConnectAsync(servers.Source.Host, servers.Source.Port, SecureSocketOptions.None);
            await source.AuthenticateAsync(email, Password);
            await source.Inbox.OpenAsync(FolderAccess.ReadWrite);
            var firstTwin = (await source.Inbox.SearchAsync(SearchQuery.SubjectContains("twin"))).Min();
            await source.Inbox.AddFlagsAsync([.. await source.Inbox.SearchAsync(SearchQuery.SubjectContains("one")), firstTwin], MessageFlags.Flagged, silent: true);
        }
        await admin.ActAsync(project, "Start", [mailbox]);
        await WaitForPassAsync(portal, admin, project, mailbox, 2);

        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        var notes = details.QuerySelector("#passes tr[data-pass='2'] .notes")!.TextContent;
        Assert.Contains("2 folders unchanged since the last pass (not opened)", notes); // Projects and Projects/2026
        Assert.Contains("flags updated on 2 messages", notes);
        // The unchanged folders' statistics are there too (found, copied, failed), saved together in one write.
        Assert.Equal(("1", "0", "0"), Folder(details.QuerySelector("#pass-2-folders")!, "Projects/2026"));
        Assert.Equal("", details.QuerySelector("#passes tr[data-pass='1'] .notes")!.TextContent.Trim());
        using var destination = new ImapClient();
        await destination.ConnectAsync(servers.Destination.Host, servers.Destination.Port, SecureSocketOptions.None);
        await destination.AuthenticateAsync(email, Password);
        await destination.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var flagged = await destination.Inbox.SearchAsync(SearchQuery.Flagged);
        Assert.Equal(["one", "twin"], (await destination.Inbox.FetchAsync(flagged, MessageSummaryItems.Envelope)).Select(m => m.Envelope!.Subject).Order());
        // The first twin's copy, not the second's.
        var twins = (await destination.Inbox.SearchAsync(SearchQuery.SubjectContains("twin"))).OrderBy(u => u.Id).ToList();
        Assert.Equal(twins[0], Assert.Single(flagged, twins.Contains));
    }

    [Fact]
    public async Task Delta_AfterTheDestinationFolderWasDeletedAndMadeAgain_CopiesItsMailOnceAndKeepsOnlyTheNewCopiesMap()
    {
        var email = $"r{Guid.NewGuid():N}"[..12] + "@example.org";
        var (portal, admin, project, mailbox) = await MailboxAsync(WorkerOn(), email,
            ("INBOX", "one", 100), ("Projects/2026", "nested", 100), ("Projects/2026", "second", 100));
        await using var _ = portal;
        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Full" });
        await WaitForPassAsync(portal, admin, project, mailbox, 1);

        // Someone deletes the folder in the new mailbox and makes an empty one of the same name (a new UIDVALIDITY).
        uint recreated;
        using (var destination = new ImapClient())
        {
            await destination.ConnectAsync(servers.Destination.Host, servers.Destination.Port, SecureSocketOptions.None);
            await destination.AuthenticateAsync(email, Password);
            var folder = await destination.GetFolderAsync("Projects/2026");
            await folder.DeleteAsync();
            var made = await (await destination.GetFolderAsync("Projects")).CreateAsync("2026", true);
            await made!.StatusAsync(StatusItems.UidValidity);
            recreated = made.UidValidity;
        }
        await admin.ActAsync(project, "Start", [mailbox]);
        await WaitForPassAsync(portal, admin, project, mailbox, 2);

        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Equal(("2", "2", "0"), Folder(details.QuerySelector("#pass-2-folders")!, "Projects/2026"));
        Assert.Contains("2 folders unchanged since the last pass (not opened)", details.QuerySelector("#passes tr[data-pass='2'] .notes")!.TextContent);
        Assert.Equal(2, await CountAsync(servers.Destination, email, "Projects/2026"));
        // The map of copied messages names only the copies in the folder as it is now.
        var maps = await portal.WithDbAsync(db => db.CopiedMessages.Where(c => c.MailboxId == mailbox && c.SourceFolder == "Projects/2026")
            .Select(c => c.DestinationUidValidity).ToListAsync());
        Assert.Equal([(long)recreated], maps.Distinct());

        // A third pass (Delta) opens nothing: the folder is where the second pass copied into.
        await admin.ActAsync(project, "Start", [mailbox]);
        await WaitForPassAsync(portal, admin, project, mailbox, 3);
        details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Contains("3 folders unchanged since the last pass (not opened)", details.QuerySelector("#passes tr[data-pass='3'] .notes")!.TextContent);
        Assert.Equal(2, await CountAsync(servers.Destination, email, "Projects/2026"));
    }

    private static async Task<int> CountAsync(DovecotServer server, string email, string folder)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(email, Password);
        var target = await client.GetFolderAsync(folder);
        await target.StatusAsync(StatusItems.Count);
        return target.Count;
    }

    /// <summary>Found, copied and failed of one source folder's row.</summary>
    private static (string Found, string Copied, string Failed) Folder(AngleSharp.Dom.IElement table, string sourceFolder)
    {
        var row = table.QuerySelector($"tr[data-folder='{sourceFolder}']") ?? throw new Xunit.Sdk.XunitException($"No row for {sourceFolder}: {table.TextContent}");
        return (row.QuerySelector(".found")!.TextContent.Trim(), row.QuerySelector(".copied")!.TextContent.Trim(), row.QuerySelector(".failed")!.TextContent.Trim());
    }

    private Task<(PortalFactory Portal, AdminPages Admin, int Project, int Mailbox)> MailboxAsync(Dictionary<string, string?> settings,
        params (string Folder, string Subject, int Size)[] messages) =>
        MailboxAsync(settings, $"k{Guid.NewGuid():N}"[..12] + "@example.org", messages);

    private const string Password = "Kinds-Passw0rd";

    private async Task<(PortalFactory Portal, AdminPages Admin, int Project, int Mailbox)> MailboxAsync(Dictionary<string, string?> settings,
        string email, params (string Folder, string Subject, int Size)[] messages)
    {
        const string password = Password;
        await servers.Source.AddUserAsync(email, password);
        await servers.Destination.AddUserAsync(email, password);
        foreach (var (folder, subject, size) in messages)
        {
            var message = new MimeMessage { Subject = subject };
            message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
            message.Body = new TextPart("plain") { Text = new string('x', size) };
            await servers.Source.AppendMessageAsync(email, password, folder, message);
        }
        var portal = new PortalFactory(settings);
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync("Pass kinds", (servers.Source.Host, servers.Source.Port, "None"),
            (servers.Destination.Host, servers.Destination.Port, "None"));
        var mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);
        return (portal, admin, project, mailbox);
    }

    private static string SelectedPassKind(IHtmlDocument dashboard) =>
        ((IHtmlSelectElement)dashboard.QuerySelector("select[name='passKind']")!).Value ?? "";

    private static async Task<IHtmlDocument> WaitForPassAsync(PortalFactory portal, AdminPages admin, int project, int mailbox, int pass)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var dashboard = await admin.DashboardAsync(project);
            var lastPass = dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}'] .last-pass")?.TextContent ?? "";
            if (AdminPages.StatusOf(dashboard, mailbox) == "Completed" && lastPass.StartsWith($"#{pass} ")) return dashboard;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Pass {pass} did not complete: {lastPass}\n" + string.Join("\n", portal.LogLines.TakeLast(20)));
            await Task.Delay(200);
        }
    }
}
