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

    private static async Task<AngleSharp.Html.Dom.IHtmlDocument> WaitForAsync(AccessScenario s, Func<AngleSharp.Html.Dom.IHtmlDocument, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var dashboard = await s.Admin.DashboardAsync(s.ProjectId);
            if (done(dashboard)) return dashboard;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("Still waiting: " + dashboard.QuerySelector("table.mailboxes")?.TextContent + "\n" + string.Join("\n", s.Portal.LogLines.TakeLast(20)));
            await Task.Delay(200);
        }
    }

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
