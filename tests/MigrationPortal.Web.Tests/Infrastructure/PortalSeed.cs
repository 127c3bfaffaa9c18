using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Data.Licenses;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// Puts many mailboxes into the portal's database at once, through the domain's own constructors, for tests whose
/// subject is what an action does to a large selection (adding 1,000 mailboxes through the form is not).
/// </summary>
public static class PortalSeed
{
    public const string Actor = "seed";

    public static async Task<int> ProjectAsync(PortalFactory portal, string name = "Seeded", string sourceHost = "imap.source.test", int sourcePort = 993,
        string destinationHost = "imap.destination.test", int destinationPort = 993, TlsMode security = TlsMode.Tls, int maxConcurrent = 5)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var project = new MigrationProject(name, new ImapEndpoint(sourceHost, sourcePort, security),
            new ImapEndpoint(destinationHost, destinationPort, security), maxConcurrent, time.GetUtcNow());
        db.Projects.Add(project);
        await db.SaveChangesAsync();
        return project.Id;
    }

    /// <summary>Adds mailboxes user0..userN-1@domain; known sides get a stored (protected) password.</summary>
    public static async Task<IReadOnlyList<int>> MailboxesAsync(PortalFactory portal, int projectId, int count, bool sourceKnown = true,
        bool destinationKnown = true, string prefix = "user", string domain = "example.org")
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<IPasswordProtector>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        var secret = protector.Protect("Known-Passw0rd");
        var mailboxes = Enumerable.Range(0, count).Select(i =>
        {
            var email = $"{prefix}{i}@{domain}";
            return new Mailbox(projectId,
                new MailboxCredentials(email, sourceKnown ? email : null, sourceKnown ? secret : null),
                new MailboxCredentials(email, destinationKnown ? email : null, destinationKnown ? secret : null),
                email, Actor, now);
        }).ToList();
        db.Mailboxes.AddRange(mailboxes);
        await db.SaveChangesAsync();
        return mailboxes.Select(m => m.Id).ToList();
    }

    public static async Task LicensesAsync(PortalFactory portal, int quantity)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var pool = await LicensePoolStore.LoadAsync(db, default);
        pool.Add(quantity, Actor, scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow(), "Seeded");
        await using var transaction = await db.Database.BeginTransactionAsync();
        await LicensePoolStore.ApplyAsync(db, pool, default);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }
}
