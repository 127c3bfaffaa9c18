using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>
/// Two Dovecots that differ (issue 16). The source stores folders as directories (maildir LAYOUT=fs), so it takes a '.'
/// inside a folder name; the destination keeps Dovecot's Maildir++ layout, which refuses one, and advertises neither
/// MULTIAPPEND nor LITERAL+ after login (imap_capability), as a more modest server would.
/// </summary>
public sealed class DifferingDovecots : IAsyncLifetime
{
    public DovecotServer Source { get; } = new() { ExtraConfig = DovecotServer.DirectoryLayout };
    public DovecotServer Destination { get; } = new() { ExtraConfig = DovecotServer.CapabilitiesWithout("MULTIAPPEND", "LITERAL+") };

    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}

/// <summary>What the admin sees of a pass that adapted to the servers: the folders it renamed and the extensions it did without.</summary>
public sealed class ServerDifferencesTests(DifferingDovecots servers) : IClassFixture<DifferingDovecots>
{
    private const string Password = "Differ-Passw0rd";

    // A '.' the destination refuses, and markup that must reach the admin as text.
    private const string OddFolder = "Q3.2026 <em>draft";

    [Fact]
    public async Task FullPass_DestinationRefusesANameAndLacksMultiAppendAndLiteralPlus_CopiesAllAndTheStatisticsSaySo()
    {
        var email = $"x{Guid.NewGuid():N}"[..12] + "@example.org";
        await servers.Source.AddUserAsync(email, Password);
        await servers.Destination.AddUserAsync(email, Password);
        foreach (var (folder, subject) in new[] { ("INBOX", "one"), ("INBOX", "two"), ("INBOX", "three"), (OddFolder, "report") })
        {
            var message = new MimeMessage { Subject = subject };
            message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
            message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
            await servers.Source.AppendMessageAsync(email, Password, folder, message);
        }
        await using var portal = new PortalFactory(new Dictionary<string, string?>
        {
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
        });
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync("Differing servers", (servers.Source.Host, servers.Source.Port, "None"),
            (servers.Destination.Host, servers.Destination.Port, "None"));
        var mailbox = await admin.AddMailboxAsync(project, email, Password, Password, login: email);

        await admin.ActAsync(project, "Start", [mailbox], new Dictionary<string, string> { ["passKind"] = "Full" });
        await WaitForCompletedAsync(portal, admin, project, mailbox);

        Assert.Equal(["INBOX: one", "INBOX: three", "INBOX: two", "Q3_2026 _em_draft: report"], await MailboxContent.SubjectsAsync(servers.Destination, email, Password));
        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        var notes = details.QuerySelector("#passes tr[data-pass='1'] .notes")!;
        var items = notes.QuerySelectorAll(".server-notes li").Select(li => li.TextContent.Trim()).ToList();
        Assert.Equal(3, items.Count);
        Assert.StartsWith("Renamed: Q3.2026 <em>draft → Q3_2026 _em_draft (the destination refused the name: Character not allowed in mailbox name: '.'", items[0]);
        Assert.Equal("The destination has no MULTIAPPEND: one APPEND command per message instead of up to 50 in one.", items[1]);
        Assert.Equal("The destination has no LITERAL+: each message's bytes wait for the server's go-ahead (one more round trip per message).", items[2]);
        Assert.Null(notes.QuerySelector("em")); // the folder's name is text, not markup
    }

    private static async Task WaitForCompletedAsync(PortalFactory portal, AdminPages admin, int project, int mailbox)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var dashboard = await admin.DashboardAsync(project);
            var lastPass = dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}'] .last-pass")?.TextContent ?? "";
            if (AdminPages.StatusOf(dashboard, mailbox) == "Completed" && lastPass.StartsWith("#1 ", StringComparison.Ordinal)) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The pass did not complete: {lastPass}\n" + string.Join("\n", portal.LogLines.TakeLast(20)));
            await Task.Delay(200);
        }
    }
}
