using System.Diagnostics;
using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MigrationPortal.Web.Tests.CrashRecovery;

/// <summary>
/// The portal process killed outright (SIGKILL) while its outbox is delivering a thousand credential requests, and a
/// new process started on the same database: every email arrives, and the only ones that arrive twice are those the
/// dead process had handed to the SMTP server but not yet recorded as sent. Each sent message is recorded the moment the
/// server accepts it (the write overlapping the next send), so that is at most two, and a copy carries the same
/// Message-ID as the first, so a mail client can tell them apart from two requests.
/// </summary>
public sealed class KillMidOutboxTests(ITestOutputHelper output)
{
    private static readonly int Mailboxes = Soak.Scale(1000, 5);

    [Fact]
    public async Task KillNine_MidDelivery_EveryEmailArrivesAndAtMostTheUnrecordedOnesTwice()
    {
        var clock = Stopwatch.StartNew();
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var database = await LastingDatabase.CreateAsync();
        int project;
        IReadOnlyList<int> ids;
        await using (var seeding = new PortalFactory(database.Settings()))
        {
            project = await PortalSeed.ProjectAsync(seeding);
            await PortalSeed.LicensesAsync(seeding, Mailboxes);
            ids = await PortalSeed.MailboxesAsync(seeding, project, Mailboxes, sourceKnown: false, prefix: "outbox");
        }

        var environment = database.Settings(new Dictionary<string, string?>
        {
            ["Admin:Email"] = PortalFactory.AdminEmail,
            ["Admin:Password"] = PortalFactory.AdminPassword,
            ["Smtp:Host"] = sink.Host,
            ["Smtp:Port"] = sink.Port.ToString(),
            ["Portal:PublicBaseUrl"] = "http://portal.test",
            ["Outbox:PollInterval"] = "00:00:00.200",
            ["Outbox:RetryBaseDelay"] = "00:00:00.200",
            // Start in the request, so every email is queued when it answers (above 500 it would run in the background).
            ["BulkActions:BackgroundAbove"] = Mailboxes.ToString(),
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            // The dead process's claims run out 10 s (the least allowed) after it took them; then the new one sends what they held.
            ["Outbox:Lease"] = "00:00:10",
        }).ToDictionary(e => e.Key.Replace(":", "__"), e => e.Value!);

        await using (var first = await PortalProcess.StartAsync(environment))
        {
            using var client = first.CreateClient();
            var admin = new AdminPages(client);
            await admin.LoginAsync();
            // The SMTP server is away while Start queues all the emails (a kill must not cut Start short too); it comes
            // back once every one is queued.
            await sink.StopAsync();
            await admin.ActAsync(project, "Start", ids);
            await sink.StartAsync();
            // Killed with a good part, not all, of the mail handed over.
            while (sink.Messages.Count < Mailboxes / 4)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"Only {sink.Messages.Count} emails arrived.");
                await Task.Delay(2);
            }
            await first.KillAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: killed with {sink.Messages.Count} of {Mailboxes} emails arrived");
        }

        await using var second = await PortalProcess.StartAsync(environment);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (Recipients(sink).Count < Mailboxes)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Recipients(sink).Count} of {Mailboxes} mailboxes were emailed.\n{second.Output}");
            await Task.Delay(100);
        }
        await Task.Delay(TimeSpan.FromSeconds(1)); // nothing more is on its way
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: all {Mailboxes} emailed; {sink.Messages.Count} emails in all");

        var copies = sink.Messages.GroupBy(m => m.EnvelopeRecipients.Single()).Where(g => g.Count() > 1).ToList();
        Assert.True(copies.Count <= 2, $"{copies.Count} mailboxes were emailed more than once: {string.Join(", ", copies.Select(g => $"{g.Key} ×{g.Count()}"))}");
        Assert.All(copies, g => Assert.Single(g.Select(m => m.Message.MessageId).Distinct()));
        Assert.Equal(Mailboxes + copies.Sum(g => g.Count() - 1), sink.Messages.Count);
    }

    private static HashSet<string> Recipients(SmtpSink sink) => sink.Messages.SelectMany(m => m.EnvelopeRecipients).ToHashSet();

}
