using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>A portal stopped and started again on the same database: queued mail, emailed links and stored passwords survive.</summary>
public sealed class RestartTests(MailServers servers) : IClassFixture<MailServers>
{
    [Fact]
    public async Task Restart_BetweenStartAndDelivery_EmailStillSentAndItsLinkStillWorks()
    {
        var dir = Directory.CreateTempSubdirectory("migrationportal-restart-").FullName;
        try
        {
            var email = $"r{Guid.NewGuid():N}"[..12] + "@example.org";
            const string password = "Restart-Passw0rd";
            await servers.Source.AddUserAsync(email, password);
            await servers.Destination.AddUserAsync(email, password);
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(dir, "portal.db")}",
                ["Smtp:Host"] = servers.Smtp.Host,
                ["Smtp:Port"] = servers.Smtp.Port.ToString(),
                ["Portal:PublicBaseUrl"] = AccessScenario.PublicBaseUrl,
                ["Outbox:PollInterval"] = "00:00:00.500",
                ["Outbox:RetryBaseDelay"] = "00:00:00.500",
            };

            // First run: the SMTP server is down, so the message stays queued when the portal stops.
            int mailboxId;
            await servers.Smtp.StopAsync();
            await using (var first = new PortalFactory(settings))
            {
                var admin = AdminPages.Open(first);
                await admin.LoginAsync();
                await admin.AddLicensesAsync(1);
                var project = await admin.CreateProjectAsync("Restart move", (servers.Source.Host, servers.Source.Port, "None"),
                    (servers.Destination.Host, servers.Destination.Port, "None"));
                mailboxId = await admin.AddMailboxAsync(project, email, null, password, login: email);
                await admin.ActAsync(project, "Start", [mailboxId]);
                await WaitUntilAsync(() => first.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.Attempts > 0)));
            }
            await servers.Smtp.StartAsync();

            // Second run on the same database: the queued email goes out and its link works.
            await using var second = new PortalFactory(settings);
            second.Services.GetType(); // starts the host
            var received = await servers.Smtp.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(email), TimeSpan.FromSeconds(20));
            var link = AccessScenario.LinkIn(received.Message);
            var user = new HtmlClient(second.CreateClient());
            var page = await user.GetAsync(link.PathAndQuery);
            var form = (AngleSharp.Html.Dom.IHtmlFormElement)page.QuerySelector("main form")!;
            var result = await user.SubmitAsync(form, "Submit", new Dictionary<string, string>
            {
                ["Input.SourceLogin"] = email,
                ["Input.SourcePassword"] = password,
            });

            Assert.Contains("Thank you — your migration has started.", result.Body!.TextContent);
            var mailbox = await second.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailboxId));
            Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
            // The password the admin stored in the first run is still readable with the persisted key ring.
            var protector = (MigrationPortal.Core.IPasswordProtector)second.Services.GetService(typeof(MigrationPortal.Core.IPasswordProtector))!;
            Assert.Equal(password, protector.Unprotect(mailbox.Destination.ProtectedPassword!));
        }
        finally
        {
            if (!servers.Smtp.IsRunning) await servers.Smtp.StartAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true in 15 s.");
            await Task.Delay(100);
        }
    }
}
