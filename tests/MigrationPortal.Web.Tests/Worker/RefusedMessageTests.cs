using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Worker;

public sealed class RefusedMessageTests(DovecotPair servers) : IClassFixture<DovecotPair>
{
    [Fact]
    public async Task Pass_DestinationRefusesAMessage_CompletedAndTheItemPageListsItWithTheServersAnswer()
    {
        await using var run = await PassAsync([("fits", 100), ("far too large", 80_000)], "Completed");

        var details = await run.Admin.Client.GetAsync($"/Admin/Mailboxes/Details/{run.Mailbox}");
        var row = Assert.Single(details.QuerySelectorAll("#failed-messages tbody tr"));
        Assert.Contains("far too large", row.TextContent);
        Assert.Contains("INBOX", row.TextContent);
        Assert.Contains("1 items", (await run.Admin.DashboardAsync(run.Project)).QuerySelector($"tr[data-mailbox-id='{run.Mailbox}']")!.TextContent);
    }

    [Fact]
    public async Task Pass_DestinationRefusesMoreThanMaxMessageErrors_FailedSayingSoWithTheRefusedListed()
    {
        await using var run = await PassAsync([("fits", 100), ("too large 1", 80_000), ("too large 2", 80_000)], "Failed",
            maxMessageErrors: 1);

        var row = (await run.Admin.DashboardAsync(run.Project)).QuerySelector($"tr[data-mailbox-id='{run.Mailbox}']")!.TextContent;
        Assert.Contains("The destination refused 2 messages, more than the 1 allowed (Migration:MaxMessageErrors)", row);
        var details = await run.Admin.Client.GetAsync($"/Admin/Mailboxes/Details/{run.Mailbox}");
        Assert.Equal(2, details.QuerySelectorAll("#failed-messages tbody tr").Length);
    }

    /// <summary>A portal whose worker runs one pass of a mailbox holding these messages, until the mailbox shows <paramref name="until"/>.</summary>
    private async Task<PassRun> PassAsync((string Subject, int Size)[] messages, string until, int? maxMessageErrors = null)
    {
        var email = $"q{Guid.NewGuid():N}"[..12] + "@example.org";
        const string password = "Quota-Passw0rd";
        await servers.Source.AddUserAsync(email, password);
        await servers.Destination.AddUserAsync(email, password);
        foreach (var (subject, size) in messages)
        {
            var message = new MimeMessage { Subject = subject };
            message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
            message.Body = new TextPart("plain") { Text = new string('x', size) };
            await servers.Source.AppendMessageAsync(email, password, "INBOX", message);
        }
        var settings = new Dictionary<string, string?>
        {
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
        };
        if (maxMessageErrors is { } max) settings["Migration:MaxMessageErrors"] = max.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var portal = new PortalFactory(settings);
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync("Size limit", (servers.Source.Host, servers.Source.Port, "None"),
            (servers.Destination.Host, servers.Destination.Port, "None"));
        var mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);

        await admin.ActAsync(project, "Start", [mailbox]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (AdminPages.StatusOf(await admin.DashboardAsync(project), mailbox) != until)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(string.Join("\n", portal.LogLines.TakeLast(20)));
            await Task.Delay(200);
        }
        return new PassRun(portal, admin, project, mailbox);
    }

    private sealed record PassRun(PortalFactory Portal, AdminPages Admin, int Project, int Mailbox) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Portal.DisposeAsync();
    }
}
