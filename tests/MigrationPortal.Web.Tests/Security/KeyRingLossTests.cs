using System.Net;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// The DataProtection key ring lost between two runs (here: its table emptied, as a database restored without it
/// would be). The portal must not start as if nothing happened (it used to: a new key, then 500s on Verify Credentials
/// and on the user's correct submission, emails failed for good, a queued mailbox that could not log in); it refuses,
/// saying what is unreadable and how to go on, and when the operator says go on, every item that needed a lost secret
/// is cleared and Failed saying why, and starting it again works.
/// </summary>
public sealed class KeyRingLossTests
{
    [Fact]
    public async Task KeyRingLost_StartRefusedSayingWhatAndHow_ThenAcceptedEachAffectedItemFailedOrClearedAndStartWorksAgain()
    {
        await using var database = await LastingDatabase.CreateAsync();
        int project, known, waiting, queued;
        await using (var first = new PortalFactory(database.Settings()))
        {
            var admin = AdminPages.Open(first);
            await admin.LoginAsync();
            await admin.AddLicensesAsync(3);
            project = await admin.CreateProjectAsync();
            known = await admin.AddMailboxAsync(project, "known@example.org", "Source-Passw0rd", "Destination-Passw0rd", login: "known@example.org");
            waiting = await admin.AddMailboxAsync(project, "waiting@example.org", null, null);
            queued = await admin.AddMailboxAsync(project, "queued@example.org", "Source-Passw0rd", "Destination-Passw0rd", login: "queued@example.org");
            await admin.ActAsync(project, "Start", [waiting, queued]);
            Assert.Equal("Waiting for User", AdminPages.StatusOf(await admin.DashboardAsync(project), waiting));
            Assert.Equal("Submitted", AdminPages.StatusOf(await admin.DashboardAsync(project), queued));
            await first.WithDbAsync(db => db.DataProtectionKeys.ExecuteDeleteAsync());
        }

        await using (var refused = new PortalFactory(database.Settings()))
        {
            var error = Assert.ThrowsAny<Exception>(() => refused.Services);
            var message = Innermost(error).Message;
            Assert.Contains("2 mailboxes' stored passwords, 1 emailed credential links", message);
            Assert.Contains("Restore the key ring", message);
            Assert.Contains("DataProtection:AcceptLostKeys=true", message);
        }

        await using var accepted = new PortalFactory(database.Settings(new Dictionary<string, string?> { ["DataProtection:AcceptLostKeys"] = "true" }));
        var again = AdminPages.Open(accepted);
        await again.LoginAsync();
        var dashboard = await again.DashboardAsync(project);
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, known));
        Assert.Equal("Failed", AdminPages.StatusOf(dashboard, waiting));
        Assert.Equal("Failed", AdminPages.StatusOf(dashboard, queued));
        Assert.Contains("encryption keys were lost", Row(dashboard, queued));
        Assert.Contains("encryption keys were lost", Row(dashboard, waiting));
        var mailboxes = await accepted.WithDbAsync(db => db.Mailboxes.AsNoTracking().OrderBy(m => m.Id).ToListAsync());
        Assert.All(mailboxes, m => Assert.False(m.Source.IsKnown || m.Destination.IsKnown, $"{m.Label} still has a password it cannot decrypt."));
        Assert.Contains(accepted.LogLines, l => l.StartsWith("Warning") && l.Contains("going on without them"));

        // Verify Credentials on the cleared one answers, no error page; Start on the failed one asks its user again.
        var verified = await again.ActAsync(project, "Verify Credentials", [known]);
        Assert.Equal(HttpStatusCode.OK, again.Client.LastResponse!.StatusCode);
        Assert.Contains("credentials", AdminPages.Report(verified), StringComparison.OrdinalIgnoreCase);
        await again.ActAsync(project, "Start", [queued]);
        Assert.Equal("Waiting for User", AdminPages.StatusOf(await again.DashboardAsync(project), queued));
        var link = await NewLinkAsync(accepted, "queued@example.org");
        var user = new HtmlClient(accepted.CreateClient());
        var form = await user.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, user.LastResponse!.StatusCode);
        Assert.NotNull(form.QuerySelector("main form"));
    }

    [Fact]
    public async Task KeyRingLost_AnAdminsTwoFactorSecretsUnreadable_StartRefusedThenAcceptedTheAdminSignsInWithThePasswordAndSetsUpAgain()
    {
        await using var database = await LastingDatabase.CreateAsync();
        await using (var first = new PortalFactory(database.Settings()))
        {
            using var admin = AdminPages.Open(first);
            await admin.LoginAsync();
            await TwoFactorSignInTests.TurnOnAsync(admin);
            await first.WithDbAsync(db => db.DataProtectionKeys.ExecuteDeleteAsync());
        }

        await using (var refused = new PortalFactory(database.Settings()))
        {
            var message = Innermost(Assert.ThrowsAny<Exception>(() => refused.Services)).Message;
            Assert.Contains("1 admin accounts' two-factor secrets", message);
            Assert.Contains("sign in with their password alone", message);
        }

        await using var accepted = new PortalFactory(database.Settings(new Dictionary<string, string?> { ["DataProtection:AcceptLostKeys"] = "true" }));
        using var again = AdminPages.Open(accepted);
        await again.LoginAsync();
        Assert.Equal("/Admin/Projects", again.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        var settings = await again.Client.GetAsync("/Admin/Account/TwoFactor");
        Assert.Contains("Set up an authenticator app", settings.Body!.TextContent);
        Assert.Empty(await accepted.WithDbAsync(db => db.UserTokens.AsNoTracking().ToListAsync()));
        Assert.Contains("its secrets were encrypted with the lost keys",
            string.Join("\n", await accepted.WithDbAsync(db => db.AuditEntries.AsNoTracking().Select(e => e.Detail).ToListAsync())));
    }

    [Fact]
    public async Task KeyRingIntact_RestartChangesNothing()
    {
        await using var database = await LastingDatabase.CreateAsync();
        int project, waiting;
        await using (var first = new PortalFactory(database.Settings()))
        {
            var admin = AdminPages.Open(first);
            await admin.LoginAsync();
            await admin.AddLicensesAsync(1);
            project = await admin.CreateProjectAsync();
            waiting = await admin.AddMailboxAsync(project, "waiting@example.org", "Source-Passw0rd", null, login: "waiting@example.org");
            await admin.ActAsync(project, "Start", [waiting]);
        }

        await using var second = new PortalFactory(database.Settings());
        var again = AdminPages.Open(second);
        await again.LoginAsync();

        Assert.Equal("Waiting for User", AdminPages.StatusOf(await again.DashboardAsync(project), waiting));
        Assert.True(await second.WithDbAsync(db => db.Mailboxes.AnyAsync(m => m.Id == waiting && m.Source.ProtectedPassword != null)));
        Assert.DoesNotContain(second.LogLines, l => l.Contains("encrypted with DataProtection keys"));
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    private static string Row(AngleSharp.Html.Dom.IHtmlDocument dashboard, int mailbox) =>
        dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")?.TextContent ?? "";

    /// <summary>The link in the newest email to <paramref name="to"/> in the portal's pickup directory (waits for the outbox).</summary>
    private static async Task<Uri> NewLinkAsync(PortalFactory portal, string to)
    {
        for (var tries = 0; ; tries++)
        {
            var newest = Directory.Exists(portal.PickupDirectory)
                ? Directory.GetFiles(portal.PickupDirectory, "*.eml")
                    .Select(f => MimeMessage.Load(f))
                    .Where(m => m.To.Mailboxes.Any(a => a.Address == to))
                    .OrderByDescending(m => m.Date)
                    .FirstOrDefault()
                : null;
            if (newest is not null) return AccessScenario.LinkIn(newest);
            Assert.True(tries < 200, $"No email to {to} within 20 s.");
            await Task.Delay(100);
        }
    }
}
