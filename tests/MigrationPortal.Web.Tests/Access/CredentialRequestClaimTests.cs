using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Data.CredentialRequests;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// The link rule as production runs it: the claim's conditional update on a real SQLite file. The same expression,
/// compiled, answers <see cref="CredentialRequest.IsUsable"/>; these tests check that both agree.
/// </summary>
public sealed class CredentialRequestClaimTests
{
    private static readonly TimeSpan Lease = CredentialAccessService.VerificationLease;

    [Fact]
    public async Task TryClaim_TwoAtTheSameMoment_ExactlyOneWinsAndOneAttemptCounts()
    {
        await using var portal = new PortalFactory();
        var request = await IssueAsync(portal);
        var now = request.CreatedAt;

        for (var trial = 0; trial < 20; trial++)
        {
            var at = now + trial * Lease; // each trial after the previous claim lapsed
            var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => ClaimAsync(portal, request.Id, at))));
            Assert.Equal(1, results.Count(r => r));
            if (trial == CredentialRequest.MaxVerificationAttempts - 1) break;
        }
        var after = await LoadAsync(portal, request.Id);
        Assert.Equal(CredentialRequest.MaxVerificationAttempts, after.Attempts);
        Assert.Equal(CredentialRequestState.Verifying, after.State);
    }

    [Fact]
    public async Task TryClaim_ClaimedThenProcessDied_ClaimableAgainOnlyOnceTheLeaseLapsed()
    {
        await using var portal = new PortalFactory();
        var request = await IssueAsync(portal);
        var now = request.CreatedAt;
        Assert.True(await ClaimAsync(portal, request.Id, now));

        Assert.False(await ClaimAsync(portal, request.Id, now + Lease - TimeSpan.FromMilliseconds(1)));
        Assert.False((await LoadAsync(portal, request.Id)).IsUsable(now + Lease - TimeSpan.FromMilliseconds(1)));
        Assert.True((await LoadAsync(portal, request.Id)).IsUsable(now + Lease));
        Assert.True(await ClaimAsync(portal, request.Id, now + Lease));

        Assert.Equal(2, (await LoadAsync(portal, request.Id)).Attempts);
    }

    [Fact]
    public async Task TryClaim_AttemptsUsedUp_RefusedAndNotUsable()
    {
        await using var portal = new PortalFactory();
        var request = await IssueAsync(portal);
        var at = request.CreatedAt;
        for (var i = 0; i < CredentialRequest.MaxVerificationAttempts; i++, at += Lease)
            Assert.True(await ClaimAsync(portal, request.Id, at));

        Assert.False(await ClaimAsync(portal, request.Id, at));
        Assert.False((await LoadAsync(portal, request.Id)).IsUsable(at));
    }

    [Fact]
    public async Task TryClaim_AtAndAfterExpiry_Refused()
    {
        await using var portal = new PortalFactory();
        var request = await IssueAsync(portal);

        Assert.False(await ClaimAsync(portal, request.Id, request.ExpiresAt));
        Assert.False(request.IsUsable(request.ExpiresAt));
        Assert.True(request.IsUsable(request.ExpiresAt - TimeSpan.FromSeconds(1)));
        Assert.True(await ClaimAsync(portal, request.Id, request.ExpiresAt - TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task TryClaim_Revoked_Refused()
    {
        await using var portal = new PortalFactory();
        var request = await IssueAsync(portal);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var outcome = await scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>().RunAsync(request.MailboxId, null, (work, _) =>
            {
                work.Mailbox.Stop(work.Licenses, "admin", work.Now);
                return Task.CompletedTask;
            }, default);
            Assert.True(outcome.Applied, outcome.Reason);
        }

        Assert.False(await ClaimAsync(portal, request.Id, request.CreatedAt));
        Assert.False((await LoadAsync(portal, request.Id)).IsUsable(request.CreatedAt));
    }

    private static async Task<CredentialRequest> IssueAsync(PortalFactory portal)
    {
        var project = await PortalSeed.ProjectAsync(portal);
        await PortalSeed.LicensesAsync(portal, 1);
        var mailbox = (await PortalSeed.MailboxesAsync(portal, project, 1, sourceKnown: false))[0];
        await using var scope = portal.Services.CreateAsyncScope();
        var rules = scope.ServiceProvider.GetRequiredService<MailboxRules>();
        var outcome = await scope.ServiceProvider.GetRequiredService<MailboxUnitOfWork>().RunAsync(mailbox, null, (work, _) =>
        {
            work.Mailbox.Start(work.Licenses, rules, "admin", work.Now);
            return Task.CompletedTask;
        }, default);
        Assert.True(outcome.Applied, outcome.Reason);
        return await LoadForMailboxAsync(portal, mailbox);
    }

    private static async Task<bool> ClaimAsync(PortalFactory portal, Guid id, DateTimeOffset now)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await CredentialRequestClaims.TryClaimAsync(scope.ServiceProvider.GetRequiredService<PortalDbContext>(), id, now, Lease, default);
    }

    private static Task<CredentialRequest> LoadAsync(PortalFactory portal, Guid id) =>
        portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.Id == id));

    private static Task<CredentialRequest> LoadForMailboxAsync(PortalFactory portal, int mailboxId) =>
        portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == mailboxId));
}
