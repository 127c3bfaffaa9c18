using System.Net;
using System.Text;
using AngleSharp.Html.Dom;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Data.Audit;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// Hostile text that does not come through a form field: a Bulk Add file whose cells hold markup, SQL, a right-to-left
/// override, a NUL, a line break inside a quoted cell, a 1 MB cell and spreadsheet formulas, and files that are not
/// CSV at all; and what then comes out of the portal in its three CSV exports, which an admin opens in a spreadsheet.
/// </summary>
public sealed class HostileImportAndExportTests
{
    private const string Markup = "<script>alert('x')</script>";
    /// <summary>Ends every password of the file, so that one showing on a page is found.</summary>
    private const string Secret = "#Secret-Passw0rd";

    private const string Header = "Source Email,Source Login Name,Source Password,Destination Email,Destination Login Name,Destination Password,Flags,Notify Email";

    /// <summary>What a spreadsheet runs when a cell starts with it (OWASP's list: = + - @, tab and CR).</summary>
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    [Fact]
    public async Task BulkAdd_CellsHoldingEachPayload_EachBadRowSaysWhyValidRowsAddedOnceAndShownAsText()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var payloads = HostileTextTests.Payloads;
        // Passwords are kept exactly as written (a NUL and a line break included); login names and addresses follow
        // the Add form's rules. Each row's own address says which payload it carries.
        var valid = new (string Email, string Login, string Password)[]
        {
            ("pw-markup@example.org", Markup, Markup),
            ("pw-sql@example.org", payloads["SQL"], payloads["SQL"]),
            ("pw-rtl@example.org", payloads["right-to-left override"], payloads["right-to-left override"]),
            ("pw-nul@example.org", "", payloads["NUL"]),
            ("pw-crlf@example.org", "", payloads["line break"]),
            ("=1+2@example.org", "=HYPERLINK('http://evil.example/')", "=HYPERLINK(\"http://evil.example/\",\"x\")"),
            ("+cmd@example.org", "+cmd", "+cmd|' /C calc'!A0"),
            ("-2+3@example.org", "-2+3", "-2+3"),
            ("formula@example.org", "@SUM(1)", "@SUM(1)"),
            ("invoice\u202Egpj.exe@example.org", "", "Rtl-Passw0rd"),
            ("x'OR'1'='1@example.org", "", "Sql-Passw0rd"),
        };
        var bad = new (string Email, string Login, string Password, string Why)[]
        {
            (Markup, "", "Passw0rd", "is not a valid email address"),
            (payloads["SQL"], "", "Passw0rd", "is not a valid email address"),
            ("before\0after@example.org", "", "Passw0rd", "is not a valid email address"),
            ("first\r\nsecond@example.org", "", "Passw0rd", "is not a valid email address"),
            ("@SUM(1)", "", "Passw0rd", "is not a valid email address"),
            ("login-nul@example.org", payloads["NUL"], "Passw0rd", "The source login name contains control characters."),
            ("login-crlf@example.org", payloads["line break"], "Passw0rd", "The source login name contains control characters."),
            ("login-long@example.org", new string('x', 300), "Passw0rd", "The source login name is longer than 254 characters."),
            ("pw-long@example.org", "", new string('x', 2_000), "The source password is longer than 1,024 characters."),
            // One @ and no space, so the portal's own check passes it; a mail program reads "=HYPERLINK@example.org" (the
            // parentheses are a comment), so the credential email could never go to it as written.
            ("=HYPERLINK('http://evil.example/')@example.org", "", "Passw0rd", "cannot be emailed as it is written"),
        };
        // A hostile column name too: the preview lists the columns it does not use.
        var csv = new StringBuilder(Header + "," + Quote(Markup) + "\r\n");
        foreach (var (email, login, password) in valid)
            csv.Append(Row(email, login, password + Secret, flags: "@SUM(1)"));
        foreach (var (email, login, password, _) in bad)
            csv.Append(Row(email, login, password, flags: ""));

        var preview = await UploadAsync(admin, project, Encoding.UTF8.GetBytes(csv.ToString()));

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        var html = await admin.Client.LastResponse.Content.ReadAsStringAsync();
        AssertShownAsText(html, preview, "the preview");
        Assert.DoesNotContain(Secret, html);
        Assert.Contains(Markup, preview.QuerySelector("#preview-summary")!.TextContent);
        Assert.Equal(valid.Length.ToString(), preview.QuerySelector("#valid-count")!.TextContent);
        var reasons = preview.QuerySelectorAll("#bad-rows tbody tr").Select(r => r.Children[3].TextContent.Trim()).ToList();
        Assert.Equal(bad.Length, reasons.Count);
        foreach (var (_, _, _, why) in bad)
            Assert.Contains(reasons, r => r.Contains(why));
        // The markup of a refused address is quoted back in its reason, as text.
        Assert.Contains(reasons, r => r.Contains($"“{Markup}”"));
        Assert.Equal(0, await CountAsync(portal));

        var dashboard = await ConfirmAsync(admin, preview);

        Assert.Contains($"Bulk Add: applied to {valid.Length} mailboxes.", AdminPages.Report(dashboard));
        var added = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == project).OrderBy(m => m.Id).ToListAsync());
        Assert.Equal(valid.Select(v => v.Email), added.Select(m => m.Source.Email));
        var protector = portal.Services.GetRequiredService<IPasswordProtector>();
        for (var i = 0; i < valid.Length; i++)
        {
            Assert.Equal(valid[i].Login.Length == 0 ? valid[i].Email : valid[i].Login, added[i].Source.LoginName);
            Assert.Equal(valid[i].Password + Secret, protector.Unprotect(added[i].Source.ProtectedPassword!));
        }

        // Every page that shows these mailboxes: the dashboard, its full report, each one's details and edit form, the audit log.
        var report = dashboard.QuerySelectorAll("#action-report a").First(a => a.TextContent.Trim() == "Full report").GetAttribute("href")!;
        var pages = new List<string> { $"/Admin/Projects/Dashboard/{project}", report, "/Admin/Audit", "/Admin/Projects" };
        pages.AddRange(added.SelectMany(m => new[] { $"/Admin/Mailboxes/Details/{m.Id}", $"/Admin/Mailboxes/Edit/{m.Id}" }));
        foreach (var path in pages)
        {
            var page = await admin.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
            AssertShownAsText(await admin.Client.LastResponse.Content.ReadAsStringAsync(), page, path);
            Assert.DoesNotContain(Secret, await admin.Client.LastResponse.Content.ReadAsStringAsync());
        }
        // The markup login name is on its details page, as the admin typed it into the file.
        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{added[0].Id}");
        Assert.Contains($"login {Markup};", details.QuerySelector("main")!.TextContent);
    }

    [Fact]
    public async Task BulkAdd_OneMegabyteCell_FileRefusedSayingWhichLineAndNothingAdded()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var csv = Header + "\r\n"
            + Row("ada@example.org", "", "Passw0rd", "")
            + Row("bob@example.org", "", HostileTextTests.Payloads["1 MB"], "");

        var page = await UploadAsync(admin, project, Encoding.UTF8.GetBytes(csv));

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("Line 3 could not be read", AdminPages.Errors(page));
        Assert.Contains("longer than 64 KB", AdminPages.Errors(page));
        Assert.Null(page.QuerySelector("form#confirm"));
        Assert.Equal(0, await CountAsync(portal));
    }

    public static TheoryData<string> MalformedFiles => new(Malformed.Keys);

    /// <summary>Files that are not the CSV the page asks for, each as a careless or hostile admin might upload it.</summary>
    private static readonly Dictionary<string, (byte[] Bytes, string Expected)> Malformed = new()
    {
        ["unbalanced quote"] = (Utf8("Source Email,Destination Email\r\nada@example.org,\"ada@example.org\r\nbob@example.org,bob@example.org\r\n"),
            "never closed"),
        ["stray quote"] = (Utf8("Source Email,Destination Email\r\nada@exa\"mple.org,ada@example.org\r\n"), "A quote inside an unquoted field"),
        ["too few columns"] = (Utf8("Source Email,Destination Email\r\nada@example.org\r\n"), "The destination email is missing."),
        ["only a header"] = (Utf8("Source Email,Destination Email\r\n"), "The file has a header but no mailbox rows."),
        ["semicolons"] = (Utf8("Source Email;Destination Email\r\nada@example.org;ada@example.org\r\n"), "separated by semicolons"),
        ["binary garbage"] = (Garbage(), "The file has no “Source Email” and “Destination Email” column."),
        ["NUL bytes"] = (new byte[4096], "The file has no “Source Email” and “Destination Email” column."),
        ["0 bytes"] = ([], "The file is empty."),
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public async Task BulkAdd_MalformedFile_ClearMessageNoErrorPageAndNothingAdded(string file)
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        var (bytes, expected) = Malformed[file];

        var page = await UploadAsync(admin, project, bytes, unknown: true);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        var said = AdminPages.Errors(page) + " " + string.Join(" ", page.QuerySelectorAll("#bad-rows tbody tr").Select(r => r.TextContent));
        Assert.Contains(expected, said);
        Assert.Null(page.QuerySelector("form#confirm"));
        Assert.Equal(0, await CountAsync(portal));
    }

    [Theory]
    [InlineData("UTF-8 with a byte order mark")]
    [InlineData("UTF-16 with a byte order mark")]
    public async Task BulkAdd_FileSavedInAnotherUnicodeForm_ReadAsTheSameRows(string form)
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        // Excel's "Unicode text" and Notepad's "UTF-16" both start with a byte order mark; the addresses are not ASCII.
        var text = "Source Email,Destination Email\r\nzoë@example.org,zoë@example.org\r\nyannick@example.org,yannick@example.org\r\n";
        var encoding = form.StartsWith("UTF-8", StringComparison.Ordinal) ? new UTF8Encoding(true) : (Encoding)new UnicodeEncoding(false, true);
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes(text)).ToArray();

        var preview = await UploadAsync(admin, project, bytes, unknown: true);

        Assert.Equal("2", preview.QuerySelector("#valid-count")?.TextContent);
        await ConfirmAsync(admin, preview);
        var added = await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().OrderBy(m => m.Id).Select(m => m.Source.Email).ToListAsync());
        Assert.Equal(["zoë@example.org", "yannick@example.org"], added);
    }

    [Fact]
    public async Task Exports_TextStartingLikeAFormulaOrHoldingALineBreak_EveryCellNeutralisedAndEveryRowParsesBack()
    {
        await using var portal = new PortalFactory();
        var admin = await SignedInAsync(portal);
        var project = await admin.CreateProjectAsync();
        // Addresses are the one text of a mailbox its admin types that starts a cell: each formula start an address can have.
        var formulas = new[] { "=1+2@example.org", "+cmd@example.org", "-2+3@example.org" };
        var csv = new StringBuilder("Source Email,Destination Email\r\n");
        foreach (var address in formulas)
            csv.Append(Quote(address)).Append(',').Append(Quote(address)).Append("\r\n");
        var dashboard = await ConfirmAsync(admin, await UploadAsync(admin, project, Encoding.UTF8.GetBytes(csv.ToString()), unknown: true));
        var report = dashboard.QuerySelectorAll("#action-report a").First(a => a.TextContent.Trim() == "Download CSV").GetAttribute("href")!;
        // A mail server's answer reaches the dashboard's Reason column: one that breaks lines and then looks like a formula.
        var failed = await portal.WithDbAsync(db => db.Mailboxes.Where(m => m.ProjectId == project && m.Source.Email == "+cmd@example.org").Select(m => m.Id).SingleAsync());
        await admin.AddLicensesAsync(1);
        await admin.ActAsync(project, "Start", [failed]);
        await portal.WithDbAsync(async db =>
        {
            var mailbox = await db.Mailboxes.SingleAsync(m => m.Id == failed);
            mailbox.Fail(FailureReason.MigrationError("NO [ALERT]\r\n=cmd|' /C calc'!A0\r\n@SUM(1)"), await db.LicensePools.SingleAsync(), "migration engine", DateTimeOffset.UtcNow);
            return await db.SaveChangesAsync();
        });
        // Sign-in addresses are recorded as typed: strangers can put a formula in the audit log's Who column.
        var stranger = AdminPages.Open(portal);
        foreach (var typed in new[] { "=HYPERLINK(\"http://evil.example/\")@example.org", "+cmd@example.org", "-1+1@example.org" })
            await RawSignInAsync(stranger, typed);
        // Tab and CR cannot start any cell a person can fill: addresses and login names refuse control characters, the
        // audit log stores them as U+FFFD, a failure's reason starts with the portal's own words. A report is given them
        // directly (as a future action's reason might carry a server's answer), to prove the writer neutralises them too.
        var seeded = await portal.WithDbAsync(async db =>
        {
            var report = new ActionReport(project, "Verify Credentials", PortalFactory.AdminEmail, DateTimeOffset.UtcNow);
            report.Items.Add(new ActionReportItem(0, failed, "\t=1+2", ActionItemState.Refused, "\r=1+2"));
            report.Items.Add(new ActionReportItem(1, failed, "@SUM(1)", ActionItemState.Refused, "-2+3\r\nsecond line"));
            db.ActionReports.Add(report);
            db.AuditEntries.Add(new AuditEntry(DateTimeOffset.UtcNow, "\t=1+2", "@SUM(1)", "Sign-in refused", "-2+3", "+cmd\r\nsecond line"));
            await db.SaveChangesAsync();
            return report.Id;
        });

        var exports = new (string Name, string Path, int Rows, int Columns)[]
        {
            ("dashboard", $"/Admin/Projects/Dashboard/{project}?handler=Csv", formulas.Length, 14),
            ("action report", report, formulas.Length, 5),
            ("seeded action report", $"/Admin/Reports/Details/{seeded}?handler=Csv", 2, 5),
            ("audit log", "/Admin/Audit?handler=Csv", await portal.WithDbAsync(db => db.AuditEntries.CountAsync()), 6),
        };
        foreach (var (name, path, rows, columns) in exports)
        {
            using var response = await admin.Client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            var records = Parse(await response.Content.ReadAsByteArrayAsync());

            // A line break inside a cell stays in its cell: as many records as there are rows, each as wide as the header.
            Assert.True(records.Count == rows + 1, $"{name}: {records.Count - 1} records for {rows} rows");
            Assert.All(records, r => Assert.True(r.Length == columns, $"{name}: a record of {r.Length} cells: {string.Join(" | ", r)}"));
            var cells = records.Skip(1).SelectMany(r => r).ToList();
            Assert.All(cells, cell => Assert.False(cell.Length > 0 && FormulaStarts.Contains(cell[0]), $"{name}: the cell “{cell}” runs as a formula"));
            foreach (var address in formulas.Where(_ => name is "dashboard" or "action report"))
                Assert.Contains("'" + address, cells);
        }

        var dashboardCells = Parse(await admin.Client.Http.GetByteArrayAsync($"/Admin/Projects/Dashboard/{project}?handler=Csv")).SelectMany(r => r).ToList();
        Assert.Contains("Migration error: NO [ALERT]\r\n=cmd|' /C calc'!A0\r\n@SUM(1)", dashboardCells);
        var auditCells = Parse(await admin.Client.Http.GetByteArrayAsync("/Admin/Audit?handler=Csv")).SelectMany(r => r).ToList();
        Assert.Contains("'=HYPERLINK(\"http://evil.example/\")@example.org", auditCells);
        Assert.Contains("'+cmd@example.org", auditCells);
        Assert.Contains("'-1+1@example.org", auditCells);
        Assert.Contains("\uFFFD=1+2", auditCells);
        foreach (var cell in new[] { "@SUM(1)", "-2+3", "+cmd\uFFFD\uFFFDsecond line" })
            Assert.Contains("'" + cell, auditCells);
        var reportCells = Parse(await admin.Client.Http.GetByteArrayAsync($"/Admin/Reports/Details/{seeded}?handler=Csv")).SelectMany(r => r).ToList();
        foreach (var cell in new[] { "\t=1+2", "\r=1+2", "@SUM(1)", "-2+3\r\nsecond line" })
            Assert.Contains("'" + cell, reportCells);
    }

    // ----------------------------------------------------------------- helpers

    private static async Task<AdminPages> SignedInAsync(PortalFactory portal)
    {
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        return admin;
    }

    /// <summary>Opens Bulk Add from the dashboard, chooses the file as these bytes and presses Preview.</summary>
    private static async Task<IHtmlDocument> UploadAsync(AdminPages admin, int project, byte[] bytes, bool unknown = false)
    {
        var dashboard = await admin.DashboardAsync(project);
        var link = dashboard.QuerySelectorAll("a").Single(a => a.TextContent.Trim() == "Bulk Add").GetAttribute("href")!;
        var page = await admin.Client.GetAsync(link);
        var form = (IHtmlFormElement)page.QuerySelector("form#upload")!;
        ((IHtmlInputElement)form.QuerySelector("input[type='file']")!).Files!.Add(new UploadedFile("mailboxes.csv", bytes));
        return await admin.Client.SubmitAsync(form, "Preview", new Dictionary<string, string>
        {
            ["Input.SourceUnknown"] = unknown.ToString(),
            ["Input.DestinationUnknown"] = "true",
        });
    }

    /// <summary>Signs in past the browser's own check of the address field, as a script would.</summary>
    private static async Task RawSignInAsync(AdminPages client, string email)
    {
        var login = await client.Client.GetAsync("/Admin/Account/Login");
        var token = login.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        using var response = await client.Client.Http.PostAsync("/Admin/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = "Wrong-Passw0rd",
            ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static Task<IHtmlDocument> ConfirmAsync(AdminPages admin, IHtmlDocument preview)
    {
        var form = (IHtmlFormElement)(preview.QuerySelector("form#confirm") ?? throw new InvalidOperationException("No confirm button: " + AdminPages.Errors(preview)));
        return admin.Client.SubmitAsync(form, form.QuerySelector("button")!.TextContent.Trim());
    }

    /// <summary>
    /// The page's HTML has no markup of the payload (Razor encoded it), and no element a payload could have made: a
    /// script element or an event handler attribute.
    /// </summary>
    private static void AssertShownAsText(string html, IHtmlDocument page, string what)
    {
        Assert.False(html.Contains(Markup, StringComparison.Ordinal), $"{what} holds the markup unencoded");
        Assert.False(html.Contains('\0'), $"{what} holds a NUL");
        Assert.DoesNotContain(page.QuerySelectorAll("script"), s => s.TextContent.Contains("alert"));
    }

    private static string Row(string email, string login, string password, string flags) =>
        string.Join(",", Quote(email), Quote(login), Quote(password), "dst@example.org", "", "", Quote(flags), "") + "\r\n";

    private static string Quote(string field) => "\"" + field.Replace("\"", "\"\"") + "\"";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Garbage()
    {
        var bytes = new byte[64 * 1024];
        new Random(20261207).NextBytes(bytes);
        return bytes;
    }

    private static List<string[]> Parse(byte[] csv)
    {
        var records = new List<string[]>();
        using var reader = CsvReader.Create(csv, CsvReaderOptions.Default with { HasHeader = false, AllowLineBreaksInQuotes = true, TrimWhitespace = false });
        while (reader.Read())
            records.Add(Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray());
        return records;
    }

    private static Task<int> CountAsync(PortalFactory portal) => portal.WithDbAsync(db => db.Mailboxes.CountAsync());
}
