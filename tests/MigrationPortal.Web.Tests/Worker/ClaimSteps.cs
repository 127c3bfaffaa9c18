using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Worker;

/// <summary>What a worker does with the claim store, step by step, on a test portal (each step in a scope of its own, as the worker's are).</summary>
public static class ClaimSteps
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    public static async Task<Claim?> ClaimAsync(PortalFactory portal, string owner) =>
        await WithStoreAsync(portal, store => store.TryClaimNextAsync(owner, Lease, default));

    public static async Task<T> WithStoreAsync<T>(PortalFactory portal, Func<MigrationClaimStore, Task<T>> use)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<MigrationClaimStore>());
    }

    public static async Task WithStoreAsync(PortalFactory portal, Func<MigrationClaimStore, Task> use) =>
        await WithStoreAsync(portal, async store => { await use(store); return true; });

    public static async Task<IReadOnlyList<int>> SubmittedAsync(PortalFactory portal, int project, int count, string prefix)
    {
        var ids = await PortalSeed.MailboxesAsync(portal, project, count, prefix: prefix);
        foreach (var id in ids)
            await RunAsync(portal, id, (work, rules) => work.Mailbox.Start(work.Licenses, rules, "admin", work.Now));
        return ids;
    }

    /// <summary>Takes a trial's mailboxes out of the queue (Stop), so the next trial starts from an empty one.</summary>
    public static async Task FinishAsync(PortalFactory portal, IEnumerable<int> ids)
    {
        foreach (var id in ids)
            await RunAsync(portal, id, (work, _) => work.Mailbox.Stop(work.Licenses, "admin", work.Now));
    }

    public static async Task RunAsync(PortalFactory portal, int mailbox, Action<MailboxWork, MailboxRules> apply, Claim? claim = null)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var rules = scope.ServiceProvider.GetRequiredService<MailboxRules>();
        var outcome = await scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>().RunAsync(mailbox, null, (work, _) =>
        {
            apply(work, rules);
            return Task.CompletedTask;
        }, default, claim);
        Assert.True(outcome.Applied, outcome.Reason);
    }
}
