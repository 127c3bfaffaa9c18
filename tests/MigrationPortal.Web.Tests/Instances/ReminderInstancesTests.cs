using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Email;
using MigrationPortal.Web.Mailboxes;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Instances;

/// <summary>Two portal instances on one PostgreSQL database, both running the reminders worker, with one clock.</summary>
public sealed class ReminderInstancesTests(MailServers servers) : IClassFixture<MailServers>
{
    private const string Why = "several portal instances share one PostgreSQL database; a SQLite file has one process";

    [PostgresFact(Why)]
    public async Task Reminders_TwoInstancesLookingAtOnce_EachUserRemindedOnce()
    {
        const int users = 30;
        var domain = $"r{Guid.NewGuid():N}"[..10] + ".example.org";
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var database = await SharedPostgresDatabase.CreateAsync();
        var settings = database.Settings(new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Portal:ReminderPoll"] = "00:00:00.100",
            ["Outbox:PollInterval"] = "00:00:00.200",
        });
        await using var first = new PortalFactory(settings, clock);
        var project = await PortalSeed.ProjectAsync(first); // started (and migrated the database) first
        await using var second = new PortalFactory(settings, clock);
        await PortalSeed.LicensesAsync(first, users);
        var ids = await PortalSeed.MailboxesAsync(first, project, users, sourceKnown: false, domain: domain);
        await using (var scope = first.Services.CreateAsyncScope())
            Assert.Equal(users, (await scope.ServiceProvider.GetRequiredService<MailboxActionService>().StartAsync(project, ids, "test", default)).Applied);
        _ = second.Services; // its workers run from now on
        await WaitForAsync(() => Sent(domain, CredentialRequestEmail.Subject) == users);

        clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        await WaitForAsync(() => Sent(domain, CredentialRequestEmail.ReminderSubject) >= users);
        await Task.Delay(TimeSpan.FromSeconds(2)); // both workers go on looking, many rounds each

        Assert.Equal(users, Sent(domain, CredentialRequestEmail.ReminderSubject));
        var reminded = await first.WithDbAsync(db => db.CredentialRequests.AsNoTracking().Where(r => ids.Contains(r.MailboxId)).Select(r => r.RemindersSent).ToListAsync());
        Assert.All(reminded, count => Assert.Equal(1, count));
    }

    private int Sent(string domain, string subject) =>
        servers.Smtp.Messages.Count(m => m.EnvelopeRecipients.Any(r => r.EndsWith("@" + domain, StringComparison.Ordinal)) && m.Message.Subject == subject);

    private static async Task WaitForAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for the emails.");
            await Task.Delay(50);
        }
    }
}
