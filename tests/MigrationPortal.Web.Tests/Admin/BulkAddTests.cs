using System.Net;
using System.Text;
using AngleSharp.Html.Dom;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>
/// Bulk Add through the real pages: a MigrationWiz CSV is uploaded as a browser would (multipart, antiforgery), the
/// preview is read as the admin reads it, and Confirm is pressed on the page's own form.
/// </summary>
public sealed class BulkAddTests
{
    private const string FullHeader = "Source Email,Source Login Name,Source Password,Destination Email,Destination Login Name,Destination Password,Flags";

    [Fact]
    public async Task Upload_OnlyTheTwoRequiredColumnsBothSidesUnknown_PreviewAddsNothingConfirmAddsEveryRow()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        // Excel's "CSV UTF-8" starts with a byte order mark; header names in another case and padded still match.
        var csv = " source email ,DESTINATION EMAIL\r\n"
            + "ada@example.org,ada@new.example.org\r\n"
            + "bob@example.org,bob@new.example.org\r\n"
            + "carol@example.org,carol@new.example.org\r\n";

        var preview = await UploadAsync(admin, project, csv, sourceUnknown: true, destinationUnknown: true, byteOrderMark: true);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Equal("3", preview.QuerySelector("#valid-count")!.TextContent);
        Assert.Equal("0", preview.QuerySelector("#bad-count")!.TextContent);
        Assert.Null(preview.QuerySelector("#bad-rows"));
        Assert.Equal(0, await CountAsync(portal));

        var dashboard = await ConfirmAsync(admin, preview);

        Assert.Equal($"/Admin/Projects/Dashboard/{project}", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("Bulk Add: applied to 3 mailboxes.", AdminPages.Report(dashboard));
        var mailboxes = await MailboxesAsync(portal, project);
        Assert.Equal(["ada@example.org", "bob@example.org", "carol@example.org"], mailboxes.Select(m => m.Source.Email));
        Assert.Equal("carol@new.example.org", mailboxes[2].Destination.Email);
        Assert.All(mailboxes, m =>
        {
            Assert.False(m.Source.IsKnown);
            Assert.False(m.Destination.IsKnown);
            Assert.Equal(m.Source.Email, m.NotifyEmail);
            Assert.Equal(MailboxStatus.NotStarted, m.Status);
        });
    }

    [Fact]
    public async Task Upload_AllColumnsWithPasswords_StoredCiphertextDecryptsToTheFileAndNoClearPasswordAnywhere()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        // Passwords with a comma, a doubled quote, a line break and spaces at both ends: quoted as a spreadsheet writes them.
        const string adaSource = "Src,Secret-1 \"x\"";
        const string adaDestination = " Dst\nSecret-2 ";
        const string bobSource = "Bob-Src-Secret-3";
        const string bobDestination = "Bob-Dst-Secret-4";
        var csv = FullHeader + ",Notify Email\r\n"
            + $"ada@example.org,ada.login,{Quote(adaSource)},ada@new.example.org,,{Quote(adaDestination)},,ada.private@example.net\r\n"
            + $"bob@example.org,,{bobSource},bob@new.example.org,bob.new,{bobDestination},Some-Flag,\r\n";

        var preview = await UploadAsync(admin, project, csv);

        Assert.Equal("2", preview.QuerySelector("#valid-count")!.TextContent);
        Assert.Contains("1 row has Flags", Summary(preview));
        var html = await admin.Client.LastResponse!.Content.ReadAsStringAsync();
        foreach (var password in new[] { adaSource, adaDestination, bobSource, bobDestination, "Secret-" })
            Assert.DoesNotContain(password, html);

        await ConfirmAsync(admin, preview);

        var mailboxes = await MailboxesAsync(portal, project);
        Assert.Equal(2, mailboxes.Count);
        var protector = portal.Services.GetRequiredService<IPasswordProtector>();
        var (ada, bob) = (mailboxes[0], mailboxes[1]);
        Assert.Equal(("ada.login", adaSource), (ada.Source.LoginName, protector.Unprotect(ada.Source.ProtectedPassword!)));
        Assert.Equal(("ada@new.example.org", adaDestination), (ada.Destination.LoginName, protector.Unprotect(ada.Destination.ProtectedPassword!)));
        Assert.Equal("ada.private@example.net", ada.NotifyEmail);
        Assert.Equal(("bob@example.org", bobSource), (bob.Source.LoginName, protector.Unprotect(bob.Source.ProtectedPassword!)));
        Assert.Equal(("bob.new", bobDestination), (bob.Destination.LoginName, protector.Unprotect(bob.Destination.ProtectedPassword!)));
        Assert.Equal("bob@example.org", bob.NotifyEmail);

        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
            foreach (var password in new[] { "Secret-1", "Secret-2", bobSource, bobDestination })
                Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(password)), $"{name} holds a password in clear.");
        Assert.DoesNotContain(portal.LogLines, line => line.Contains("Secret-"));
    }

    [Fact]
    public async Task Upload_BadRows_ListedWithTheirLinesAndReasonsNothingAddedThenConfirmAddsExactlyTheValidRows()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = string.Join("\r\n",
            FullHeader,                                                                              // 1
            "ok1@example.org,,Src-1,ok1@new.example.org,,Dst-1,",                                     // 2
            "ok2@example.org,,\"Src with a",                                                          // 3: starts here
            "line break\",ok2@new.example.org,,Dst-2,",                                               // 4
            "not-an-address,,Src-3,ok3@new.example.org,,Dst-3,",                                      // 5
            "nopass@example.org,,,nopass@new.example.org,,Dst-4,",                                    // 6
            $"longlogin@example.org,{new string('l', 255)},Src-5,longlogin@new.example.org,,Dst-5,",   // 7
            $"longpass@example.org,,Src-6,longpass@new.example.org,,{new string('p', 1025)},",         // 8
            "",                                                                                       // 9: empty, skipped
            "stray@example.org,,Src\"7,stray@new.example.org,,Dst-7,",                                // 10
            ",,Src-8,,,Dst-8,",                                                                       // 11
            $"{new string('a', 250)}@example.org,,Src-9,long@new.example.org,,Dst-9,",                // 12
            "ok3@example.org,,Src-10,ok3@new.example.org,,Dst-10,") + "\r\n";                        // 13

        var preview = await UploadAsync(admin, project, csv);

        Assert.Equal("3", preview.QuerySelector("#valid-count")!.TextContent);
        Assert.Equal("7", preview.QuerySelector("#bad-count")!.TextContent);
        var bad = BadRows(preview);
        Assert.Equal([5, 6, 7, 8, 10, 11, 12], bad.Keys.Order());
        Assert.Contains("The source email “not-an-address” is not a valid email address.", bad[5]);
        Assert.Contains("The source password is missing", bad[6]);
        Assert.Contains("I don't know the login name and password for the Source mailboxes", bad[6]);
        Assert.Contains("The source login name is longer than 254 characters.", bad[7]);
        Assert.Contains("The destination password is longer than 1,024 characters.", bad[8]);
        Assert.Contains("quote", bad[10]);
        Assert.Contains("The source email is missing.", bad[11]);
        Assert.Contains("The destination email is missing.", bad[11]);
        Assert.Contains("The source email is longer than 254 characters.", bad[12]);
        Assert.DoesNotContain("Src", preview.QuerySelector("#bad-rows")!.TextContent);
        Assert.Equal(0, await CountAsync(portal));

        var dashboard = await ConfirmAsync(admin, preview);

        Assert.Contains("Bulk Add: applied to 3 mailboxes.", AdminPages.Report(dashboard));
        var added = await MailboxesAsync(portal, project);
        Assert.Equal(["ok1@example.org", "ok2@example.org", "ok3@example.org"], added.Select(m => m.Source.Email));
        var protector = portal.Services.GetRequiredService<IPasswordProtector>();
        Assert.Equal("Src with a\r\nline break", protector.Unprotect(added[1].Source.ProtectedPassword!));
    }

    [Fact]
    public async Task Upload_WithoutTheDestinationEmailColumn_RefusesTheWholeFileNamingTheColumn()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = "Source Email,Source Password,Destination Address\r\nada@example.org,Src-1,ada@new.example.org\r\n";

        var page = await UploadAsync(admin, project, csv, destinationUnknown: true);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("The file has no “Destination Email” column.", AdminPages.Errors(page));
        Assert.Null(page.QuerySelector("#preview-summary"));
        Assert.Null(page.QuerySelector("form#confirm"));
        Assert.NotNull(page.QuerySelector("form#upload"));
        Assert.Equal(0, await CountAsync(portal));
    }

    [Fact]
    public async Task Upload_DuplicatesOfTheProjectAndWithinTheFile_ListedAndLeftOut()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        await admin.AddMailboxAsync(project, "ada@example.org", null, null);
        var csv = "Source Email,Destination Email\r\n"
            + "ADA@Example.org,ada@EXAMPLE.org\r\n"     // 2: the project has it
            + "bob@example.org,bob@example.org\r\n"     // 3
            + "carol@example.org,carol@example.org\r\n" // 4
            + "Bob@Example.ORG , BOB@example.org\r\n"   // 5: line 3 again
            + "bob@example.org,bob@new.example.org\r\n"; // 6: another destination, another mailbox

        var preview = await UploadAsync(admin, project, csv, sourceUnknown: true, destinationUnknown: true);

        var bad = BadRows(preview);
        Assert.Equal([2, 5], bad.Keys.Order());
        Assert.Equal("This project already has a mailbox from ada@example.org to ada@example.org.", bad[2]);
        Assert.Equal("The same source and destination as line 3.", bad[5]);
        Assert.Equal("3", preview.QuerySelector("#valid-count")!.TextContent);

        await ConfirmAsync(admin, preview);

        var mailboxes = await MailboxesAsync(portal, project);
        Assert.Equal(["ada@example.org", "bob@example.org", "carol@example.org", "bob@example.org"], mailboxes.Select(m => m.Source.Email));
        Assert.Equal("bob@new.example.org", mailboxes[3].Destination.Email);
    }

    [Fact]
    public async Task Upload_SourceUnknownChecked_FileSourceCredentialsIgnoredSourceAskedOfTheUserDestinationKept()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = FullHeader + "\r\n"
            + "ada@example.org,ada.login,Src-Ignored-1,ada@new.example.org,,Dst-Kept-1,\r\n"
            + "bob@example.org,,,bob@new.example.org,bob.new,Dst-Kept-2,\r\n";

        var preview = await UploadAsync(admin, project, csv, sourceUnknown: true);

        Assert.Equal("2", preview.QuerySelector("#valid-count")!.TextContent);
        Assert.Contains("1 row has a Source login name or password: ignored", Summary(preview));
        Assert.DoesNotContain("Destination login name or password: ignored", Summary(preview));

        await ConfirmAsync(admin, preview);

        var mailboxes = await MailboxesAsync(portal, project);
        var protector = portal.Services.GetRequiredService<IPasswordProtector>();
        Assert.All(mailboxes, m =>
        {
            Assert.False(m.Source.IsKnown);
            Assert.Equal("", m.Source.LoginName);
            Assert.True(m.Destination.IsKnown);
            Assert.True(m.NeedsCredentialsFromUser());
        });
        Assert.Equal("Dst-Kept-1", protector.Unprotect(mailboxes[0].Destination.ProtectedPassword!));
        Assert.Equal("bob.new", mailboxes[1].Destination.LoginName);
        foreach (var (name, bytes) in await portal.DatabaseContentsAsync())
            Assert.False(Contains(bytes, "Src-Ignored-1"u8.ToArray()), $"{name} holds the ignored password.");
    }

    [Fact]
    public async Task Upload_DestinationUnknownUnchecked_RowWithoutDestinationPasswordIsBadAndSaysWhichSide()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = FullHeader + "\r\nada@example.org,,Src-1,ada@new.example.org,,,\r\n";

        var preview = await UploadAsync(admin, project, csv);

        Assert.Equal("0", preview.QuerySelector("#valid-count")!.TextContent);
        Assert.Contains("The destination password is missing", BadRows(preview)[2]);
        Assert.DoesNotContain("source password", BadRows(preview)[2]);
        Assert.Null(preview.QuerySelector("form#confirm"));
        Assert.Contains("No row of this file can be added.", preview.Body!.TextContent);
    }

    [Fact]
    public async Task Confirm_TamperedPayload_ImportsNothingAndSaysSo()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var preview = await UploadAsync(admin, project, "Source Email,Destination Email\r\nada@example.org,ada@example.org\r\n", true, true);
        var payload = (IHtmlInputElement)preview.QuerySelector("form#confirm input[name='Payload']")!;
        var value = payload.Value;
        payload.Value = value[..^8] + (value[^8] == 'A' ? 'B' : 'A') + value[^7..];

        var page = await ConfirmAsync(admin, preview);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("This preview has expired", AdminPages.Errors(page));
        Assert.Contains("Nothing was added", AdminPages.Errors(page));
        Assert.Equal(0, await CountAsync(portal));
    }

    [Fact]
    public async Task Confirm_AfterThePreviewExpired_ImportsNothingAndSaysSo()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var portal = new PortalFactory(clock: clock);
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var preview = await UploadAsync(admin, project, "Source Email,Destination Email\r\nada@example.org,ada@example.org\r\n", true, true);

        clock.Advance(TimeSpan.FromMinutes(31));
        var page = await ConfirmAsync(admin, preview);

        Assert.Contains("This preview has expired", AdminPages.Errors(page));
        Assert.Equal(0, await CountAsync(portal));
    }

    [Fact]
    public async Task Confirm_PressedAgainOnTheSamePreview_AddsNothingTheSecondTime()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var preview = await UploadAsync(admin, project, "Source Email,Destination Email\r\nada@example.org,ada@example.org\r\nbob@example.org,bob@example.org\r\n", true, true);
        var again = await HtmlClient.CopyAsync(preview);

        await ConfirmAsync(admin, preview);
        var page = await ConfirmAsync(admin, again);

        Assert.Contains("2 of these 2 mailboxes are in the project now", AdminPages.Errors(page));
        Assert.Contains("Nothing was added", AdminPages.Errors(page));
        Assert.Equal(2, await CountAsync(portal));
    }

    [Fact]
    public async Task Confirm_PressedTwiceAtOnce_AddsTheRowsOnce()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = new StringBuilder("Source Email,Destination Email\r\n");
        for (var i = 0; i < 2_000; i++)
            csv.Append($"user{i}@example.org,user{i}@example.org\r\n");
        var preview = await UploadAsync(admin, project, csv.ToString(), true, true);
        var second = AdminPages.Open(portal, admin.Client.Http);

        // A double click: the same preview's Confirm twice, the second sent before the first is answered.
        var pages = await Task.WhenAll(
            Task.Run(async () => await ConfirmAsync(admin, await HtmlClient.CopyAsync(preview))),
            Task.Run(async () => await ConfirmAsync(second, await HtmlClient.CopyAsync(preview))));

        Assert.Equal(2_000, await CountAsync(portal));
        Assert.Single(pages, p => AdminPages.Report(p).Contains("Bulk Add: applied to 2000 mailboxes."));
        // The other one waited for the first (PostgreSQL's lock) and found the rows there, or (SQLite) waited for the
        // write gate past the busy timeout, on a machine slow enough to take that long for 2,000 rows.
        Assert.Single(pages, p => AdminPages.Errors(p).Contains("Nothing was added"));
    }

    [Fact]
    public async Task Upload_ALargeFile_NeverWrittenToATemporaryFile()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = new StringBuilder(FullHeader + ",Notes\r\n");
        var notes = new string('n', 1000);
        for (var i = 0; csv.Length < 2 * 1024 * 1024; i++)
            csv.Append($"user{i}@example.org,,Src-{i}-Secret,user{i}@new.example.org,,Dst-{i}-Secret,,{notes}\r\n");
        // ASP.NET Core buffers a form's file past 64 KB (by default) to a file that Path.GetTempFileName names (tmp*.tmp)
        // in the temporary folder, and deletes it when the request ends (often before this sees it, so its content cannot
        // be checked). Other programs rarely make such a file in the seconds this takes.
        var buffered = new List<string>();
        using var watcher = new FileSystemWatcher(Path.GetTempPath(), "tmp*.tmp") { EnableRaisingEvents = true };
        watcher.Created += (_, e) => { lock (buffered) buffered.Add(e.Name!); };

        var preview = await UploadAsync(admin, project, csv.ToString());

        Assert.NotEqual("0", preview.QuerySelector("#valid-count")!.TextContent);
        await Task.Delay(200);
        lock (buffered) Assert.Empty(buffered);
    }

    [SqliteFact("it holds the SQLite file's write lock from another connection")]
    public async Task Confirm_WhileTheDatabaseIsLocked_AddsNothingSaysSoAndTheSamePreviewConfirmsLater()
    {
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Database:BusyTimeout"] = "00:00:01" });
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var preview = await UploadAsync(admin, project, "Source Email,Destination Email\r\nada@example.org,ada@example.org\r\nbob@example.org,bob@example.org\r\n", true, true);

        IHtmlDocument page;
        await using (var locker = new SqliteConnection($"Data Source={portal.DatabasePath};Pooling=False"))
        {
            await locker.OpenAsync();
            await using var command = locker.CreateCommand();
            command.CommandText = "BEGIN IMMEDIATE;";
            await command.ExecuteNonQueryAsync();
            page = await ConfirmAsync(admin, preview);
        }

        Assert.Contains("The database is busy", AdminPages.Errors(page));
        Assert.Contains("Nothing was added", AdminPages.Errors(page));
        Assert.Equal(0, await CountAsync(portal));
        var dashboard = await ConfirmAsync(admin, page);
        Assert.Contains("Bulk Add: applied to 2 mailboxes.", AdminPages.Report(dashboard));
        Assert.Equal(2, await CountAsync(portal));
    }

    [Fact]
    public async Task Upload_MoreThanTwentyThousandRows_RefusedWithAMessage()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = new StringBuilder("Source Email,Destination Email\r\n");
        for (var i = 0; i < 20_001; i++)
            csv.Append($"user{i}@example.org,user{i}@example.org\r\n");

        var page = await UploadAsync(admin, project, csv.ToString(), true, true);

        Assert.Contains("The file has more than 20,000 mailbox rows.", AdminPages.Errors(page));
        Assert.Null(page.QuerySelector("form#confirm"));
        Assert.Equal(0, await CountAsync(portal));
    }

    [Fact]
    public async Task Upload_LargerThanTenMegabytes_RefusedWithAMessage()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        // A valid header and rows, padded past 10 MB with an unused column.
        var csv = new StringBuilder("Source Email,Destination Email,Notes\r\n");
        var padding = new string('x', 1000);
        for (var i = 0; csv.Length <= 10 * 1024 * 1024; i++)
            csv.Append($"user{i}@example.org,user{i}@example.org,{padding}\r\n");

        var page = await UploadAsync(admin, project, csv.ToString(), true, true);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("The file is larger than 10 MB.", AdminPages.Errors(page));
        Assert.Equal(0, await CountAsync(portal));

        // Past the page's request limit nothing reads the form: the error page says it is too large (not "out of date").
        while (csv.Length <= 25 * 1024 * 1024)
            csv.Append(padding);
        page = await UploadAsync(admin, project, csv.ToString(), true, true);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("Too much data", page.QuerySelector("h1")!.TextContent);
        Assert.Equal(0, await CountAsync(portal));
    }

    [Fact]
    public async Task Confirm_TenThousandRowsWithPasswords_AddsThemAll()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = new StringBuilder(FullHeader + "\r\n");
        for (var i = 0; i < 10_000; i++)
            csv.Append($"user{i}@example.org,,Src-{i}-Passw0rd,user{i}@new.example.org,,Dst-{i}-Passw0rd,\r\n");

        var preview = await UploadAsync(admin, project, csv.ToString());

        Assert.Equal("10,000", preview.QuerySelector("#valid-count")!.TextContent);
        var dashboard = await ConfirmAsync(admin, preview);

        Assert.Contains("Bulk Add: applied to 10000 mailboxes.", AdminPages.Report(dashboard));
        Assert.Equal(10_000, await CountAsync(portal));
        var last = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Source.Email == "user9999@example.org"));
        Assert.Equal("Dst-9999-Passw0rd", portal.Services.GetRequiredService<IPasswordProtector>().Unprotect(last.Destination.ProtectedPassword!));
    }

    // ----------------------------------------------------------------- the page, as a browser uses it

    private static async Task<AdminPages> SignedInAsync(PortalFactory portal)
    {
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        return admin;
    }

    /// <summary>Opens Bulk Add from the project's dashboard, chooses the file, sets the two checkboxes and presses Preview.</summary>
    private static async Task<IHtmlDocument> UploadAsync(AdminPages admin, int project, string csv, bool sourceUnknown = false,
        bool destinationUnknown = false, bool byteOrderMark = false)
    {
        var dashboard = await admin.DashboardAsync(project);
        var link = dashboard.QuerySelectorAll("a").Single(a => a.TextContent.Trim() == "Bulk Add").GetAttribute("href")!;
        var page = await admin.Client.GetAsync(link);
        var form = (IHtmlFormElement)page.QuerySelector("form#upload")!;
        var bytes = (byteOrderMark ? Encoding.UTF8.GetPreamble() : []).Concat(Encoding.UTF8.GetBytes(csv)).ToArray();
        ((IHtmlInputElement)form.QuerySelector("input[type='file']")!).Files!.Add(new UploadedFile("mailboxes.csv", bytes));
        return await admin.Client.SubmitAsync(form, "Preview", new Dictionary<string, string>
        {
            ["Input.SourceUnknown"] = sourceUnknown.ToString(),
            ["Input.DestinationUnknown"] = destinationUnknown.ToString(),
        });
    }

    /// <summary>Presses the preview's "Add N mailboxes".</summary>
    private static Task<IHtmlDocument> ConfirmAsync(AdminPages admin, IHtmlDocument preview)
    {
        var form = (IHtmlFormElement)(preview.QuerySelector("form#confirm") ?? throw new InvalidOperationException("No confirm button: " + AdminPages.Errors(preview)));
        return admin.Client.SubmitAsync(form, form.QuerySelector("button")!.TextContent.Trim());
    }

    private static string Summary(IHtmlDocument preview) => preview.QuerySelector("#preview-summary")!.TextContent;

    /// <summary>The preview's bad rows: the line each starts on, and why it is refused.</summary>
    private static Dictionary<long, string> BadRows(IHtmlDocument preview) =>
        preview.QuerySelectorAll("#bad-rows tbody tr").ToDictionary(r => long.Parse(r.GetAttribute("data-line")!), r => r.Children[3].TextContent.Trim());

    private static Task<int> CountAsync(PortalFactory portal) => portal.WithDbAsync(db => db.Mailboxes.CountAsync());

    private static Task<List<Mailbox>> MailboxesAsync(PortalFactory portal, int project) =>
        portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == project).OrderBy(m => m.Id).ToListAsync());

    private static string Quote(string field) => "\"" + field.Replace("\"", "\"\"") + "\"";

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
