using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

public sealed class VerifyCredentialsTests(MailServers servers) : IClassFixture<MailServers>
{
    [Fact]
    public async Task VerifyCredentials_KnownItems_ReportsEachSideWithoutStatusOrLicenseChange()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        // Other addresses on the same accounts: a project holds each address pair once.
        var good = await s.Admin.AddMailboxAsync(s.ProjectId, "good." + s.Email, s.SourcePassword, s.DestinationPassword, login: s.Email);
        var wrongSource = await s.Admin.AddMailboxAsync(s.ProjectId, "wrong." + s.Email, "not-it", s.DestinationPassword, login: s.Email);
        var before = await s.Admin.DashboardAsync(s.ProjectId);

        var message = new MimeKit.MimeMessage { Subject = "to be counted" };
        message.From.Add(new MimeKit.MailboxAddress("Ada", "ada@example.org"));
        message.Body = new MimeKit.TextPart("plain") { Text = "Body" };
        await servers.Source.AppendMessageAsync(s.Email, s.SourcePassword, "Archive/2025", message);
        var queued = await s.Admin.ActAsync(s.ProjectId, "Verify Credentials", [good, wrongSource, s.MailboxId]);
        var dashboard = await s.Admin.WaitForReportAsync(queued);

        var report = AdminPages.Report(dashboard);
        Assert.Contains("Verify Credentials: applied to 1 mailbox", report);
        Assert.Contains("Source credentials are incorrect", report);
        Assert.Contains("Start it to ask the user", report);
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, good));
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, wrongSource));
        Assert.Equal(AdminPages.LicensesAvailable(before), AdminPages.LicensesAvailable(dashboard));
        var history = await s.Portal.WithDbAsync(db => db.MailboxEvents.Where(e => e.MailboxId == good).Select(e => e.Description).ToListAsync());
        // Verify Credentials also says how much the pass will find on the source.
        Assert.Contains(history, h => System.Text.RegularExpressions.Regex.IsMatch(h,
            @"^Verify Credentials: both servers accepted the credentials; the source holds 1 message in [0-9]+ folders$"));
    }
}
