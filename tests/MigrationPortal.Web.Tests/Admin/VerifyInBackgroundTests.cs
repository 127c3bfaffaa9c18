using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>Verify Credentials on a selection is queued and checked in the background; the dashboard shows it coming in.</summary>
public sealed class VerifyInBackgroundTests
{
    [Fact]
    public async Task VerifyCredentials_ServersSlowToAnswer_DashboardAnswersAtOnceAndShowsResultsAsTheyCome()
    {
        // A server that accepts connections and says nothing: each check waits until it gives up.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            try { while (true) held.Add(await silent.AcceptTcpClientAsync()); }
            // Stopped between two accepts, the listener says "not listening" (InvalidOperationException) instead.
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { }
        });

        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal, sourceHost: "127.0.0.1", sourcePort: port, destinationHost: "127.0.0.1",
            destinationPort: port, security: TlsMode.None);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 6);
        var unknown = (await PortalSeed.MailboxesAsync(portal, project, 1, sourceKnown: false, prefix: "asks"))[0];

        var queued = await admin.ActAsync(project, "Verify Credentials", [.. ids, unknown]);

        // Answered while every check is still waiting on the silent server.
        var report = AdminPages.Report(queued);
        Assert.True(report.Contains("Checking in the background: 6 of 7 still to do"), report);
        Assert.Contains("Start it to ask the user", report);
        Assert.NotNull(queued.QuerySelector("meta[http-equiv=refresh]"));

        // The server goes away: connections are reset, the checks end, and the results come in.
        silent.Stop();
        foreach (var client in held.ToList()) client.Dispose();
        var done = await admin.WaitForReportAsync(queued);

        var final = AdminPages.Report(done);
        Assert.Contains("applied to 0 mailboxes, refused for 7", final);
        Assert.Contains("Source server unreachable", final);
        Assert.Null(done.QuerySelector("meta[http-equiv=refresh]"));
        var history = await portal.WithDbAsync(db => db.MailboxEvents.CountAsync(e => ids.Contains(e.MailboxId) && e.Description.StartsWith("Verify Credentials:")));
        Assert.Equal(6, history);
        await accepting;
    }

    [Fact]
    public async Task VerifyCredentials_RacingDeleteOfOneItem_EveryItemEndsWithItsOwnOutcome()
    {
        await using var portal = new PortalFactory();
        var (one, two) = (AdminPages.Open(portal), AdminPages.Open(portal));
        await one.LoginAsync();
        await two.LoginAsync();
        // Port 9 on loopback refuses at once: each check ends quickly as "unreachable".
        var project = await PortalSeed.ProjectAsync(portal, sourceHost: "127.0.0.1", sourcePort: 9, destinationHost: "127.0.0.1",
            destinationPort: 9, security: TlsMode.None);

        for (var trial = 0; trial < 20; trial++)
        {
            var ids = await PortalSeed.MailboxesAsync(portal, project, 3, prefix: $"v{trial}-");
            var formOne = await one.DashboardAsync(project);
            var formTwo = await two.DashboardAsync(project);

            var verifying = one.SubmitOnAsync(formOne, "Verify Credentials", ids);
            var deleting = two.SubmitOnAsync(formTwo, "Delete Items", [ids[1]]);
            var (verify, delete) = (await verifying, await deleting);
            Assert.Equal(HttpStatusCode.OK, verify.Status);
            Assert.Equal(HttpStatusCode.OK, delete.Status);
            Assert.Contains("applied to 1 mailbox", AdminPages.Report(delete.Page));

            var done = await one.WaitForReportAsync(verify.Page);
            var items = done.QuerySelector("#action-report")!;
            var full = await one.Client.GetAsync(items.QuerySelector("a")!.GetAttribute("href")!);
            var rows = full.QuerySelectorAll("#report-items tbody tr").ToDictionary(r => int.Parse(r.GetAttribute("data-mailbox-id")!), r => r.TextContent);
            Assert.Contains("Source server unreachable", rows[ids[0]]);
            Assert.Contains("Source server unreachable", rows[ids[2]]);
            Assert.Matches("(Source server unreachable|deleted meanwhile|no longer exists)", rows[ids[1]]);
        }
        var errors = portal.LogLines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
