using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Outbox;

/// <summary>The outbox worker delivering through a real SMTP server, seen through the real pages and the real SQLite file.</summary>
public sealed partial class OutboxDeliveryTests
{
    private const string Known = "Known-Passw0rd";
    private const string Subject = "ACTION REQUIRED: Information required for your migration";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_UnknownCredentials_EmailArrivesWithLinkAndOutboxShowsSent()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await AddMailboxNotifyingAsync(admin, project, "ada@example.org", "ada.private@example.net");

        await admin.ActAsync(project, "Start", [mailbox]);

        var received = await sink.WaitForMessageAsync(m => m.Subject == Subject, Timeout);
        Assert.Equal(new[] { "ada.private@example.net" }, received.EnvelopeRecipients);
        Assert.Equal("ada.private@example.net", received.Message.To.Mailboxes.Single().Address);
        var textLink = LinkPattern().Match(received.Message.TextBody ?? "").Value;
        var htmlLink = LinkPattern().Match(received.Message.HtmlBody ?? "").Value;
        Assert.StartsWith("http://portal.test/access/", textLink);
        Assert.Equal(textLink, htmlLink);

        var row = await OutboxPage.WaitForRowAsync(admin.Client, r => r.State == "Sent");
        Assert.Equal("ada.private@example.net", row.To);
        Assert.Equal(Subject, row.Subject);
        Assert.Equal(1, row.Attempts);
        Assert.StartsWith("sent ", row.When);
        Assert.Equal("—", row.LastError);
        var page = await admin.Client.GetAsync(OutboxPage.Path);
        Assert.Equal((0, 1, 0), (OutboxPage.Count(page, "Pending"), OutboxPage.Count(page, "Sent"), OutboxPage.Count(page, "Failed")));
        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Equal("Sent", details.QuerySelector("#mailbox-outbox td.state")!.TextContent.Trim());
    }

    [Fact]
    public async Task Start_ThirtyMailboxesWithUnknownCredentials_AllDeliveredOverOneSmtpSession()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(30);
        var project = await admin.CreateProjectAsync();
        var addresses = Enumerable.Range(1, 30).Select(i => $"user{i:00}@example.org").ToList();
        var ids = new List<int>();
        foreach (var address in addresses)
            ids.Add(await admin.AddMailboxAsync(project, address, null, Known));

        var dashboard = await admin.ActAsync(project, "Start", ids);

        Assert.Contains("applied to 30 mailboxes", AdminPages.Report(dashboard));
        Assert.Equal(30, await portal.WithDbAsync(db => db.OutboxMessages.CountAsync()));
        foreach (var address in addresses)
            await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(address), Timeout);
        var page = await OutboxPage.WaitForCountAsync(admin.Client, "Sent", 30);
        Assert.Equal(30, sink.Messages.Count);
        Assert.Equal(1, sink.SessionCount);
        Assert.All(OutboxPage.Rows(page), r => Assert.Equal(1, r.Attempts));
    }

    [PostgresFact("several portal instances share one PostgreSQL database; a second process on a SQLite file is refused")]
    public async Task Deliver_TwoPortalInstancesOnOneDatabase_EachMessageSentOnce()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings(OutboxPage.Settings(sink)));
        var admin = AdminPages.Open(first);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(20);
        var project = await admin.CreateProjectAsync();
        var addresses = Enumerable.Range(1, 20).Select(i => $"user{i:00}@example.org").ToList();
        var ids = new List<int>();
        foreach (var address in addresses)
            ids.Add(await admin.AddMailboxAsync(project, address, null, Known));
        await using var second = new PortalFactory(database.Settings(OutboxPage.Settings(sink)));
        _ = second.Services; // starts its host, and with it its own outbox worker

        // Held back while the server is down, the messages are all due at once when it returns: both workers race for them.
        await sink.StopAsync();
        await admin.ActAsync(project, "Start", ids);
        await Task.Delay(500);
        await sink.StartAsync();

        foreach (var address in addresses)
            await sink.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(address), Timeout);
        await OutboxPage.WaitForCountAsync(admin.Client, "Sent", 20);
        Assert.Equal(addresses, sink.Messages.SelectMany(m => m.EnvelopeRecipients).Order());
    }

    [Fact]
    public async Task Outbox_QueuedMessage_LinkTokenNotInDatabaseFilesOrLogs()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var portal = new PortalFactory(OutboxPage.Settings(sink));
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, Known);
        await sink.StopAsync();

        await admin.ActAsync(project, "Start", [mailbox]);
        // Queued and tried once: the message, link included, is in the database now.
        await OutboxPage.WaitForRowAsync(admin.Client, r => r.Attempts >= 1);
        Assert.NotNull(await portal.WithDbAsync(db => db.OutboxMessages.Select(m => m.ProtectedContent).SingleAsync()));
        var whilePending = await DatabaseFilesAsync(portal);
        await sink.StartAsync();
        var received = await sink.WaitForMessageAsync(m => m.Subject == Subject, Timeout);
        await OutboxPage.WaitForRowAsync(admin.Client, r => r.State == "Sent");
        var afterDelivery = await DatabaseFilesAsync(portal);

        var link = LinkPattern().Match(received.Message.TextBody ?? "").Value;
        var token = link[(link.IndexOf("/access/", StringComparison.Ordinal) + "/access/".Length)..];
        Assert.True(token.Length > 40, $"No token in the link '{link}'");
        // The envelope is stored in clear, so finding it shows these are the files that hold the outbox.
        Assert.Contains(whilePending, f => Contains(f.Bytes, Encoding.UTF8.GetBytes("ada@example.org")));
        foreach (var (name, bytes) in whilePending.Concat(afterDelivery))
            Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(token)), $"{name} holds the link's token in clear");
        Assert.DoesNotContain(portal.LogLines, line => line.Contains(token));
        Assert.Null(await portal.WithDbAsync(db => db.OutboxMessages.Select(m => m.ProtectedContent).SingleAsync()));
    }

    /// <summary>Adds a mailbox whose source password is unknown and whose user is notified at an address of their own.</summary>
    private static async Task<int> AddMailboxNotifyingAsync(AdminPages admin, int projectId, string email, string notify)
    {
        var page = await admin.Client.GetAsync($"/Admin/Mailboxes/Create?projectId={projectId}");
        var dashboard = await admin.Client.SubmitAsync(AdminPages.Form(page), "Add mailbox", new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = email,
            ["Input.SourceUnknown"] = "true",
            ["Input.DestinationEmail"] = email,
            ["Input.DestinationUnknown"] = "false",
            ["Input.DestinationPassword"] = Known,
            ["Input.NotifyEmail"] = notify,
        });
        var row = dashboard.QuerySelectorAll("tr[data-mailbox-id]").Single(r => r.TextContent.Contains(email));
        return int.Parse(row.GetAttribute("data-mailbox-id")!);
    }

    private static Task<IReadOnlyList<(string Name, byte[] Bytes)>> DatabaseFilesAsync(PortalFactory portal) => portal.DatabaseContentsAsync();

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [GeneratedRegex(@"https?://[^\s""<>]+/access/[A-Za-z0-9_-]+")]
    private static partial Regex LinkPattern();
}
