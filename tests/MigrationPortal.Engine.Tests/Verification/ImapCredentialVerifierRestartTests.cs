using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Verification;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Verification;

// Its own Dovecot: stopping a server shared with other tests would fail them.
public sealed class ImapCredentialVerifierRestartTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    [Fact]
    public async Task VerifyAsync_ServerStoppedThenRestarted_ReturnsUnreachableThenAccepted()
    {
        var verifier = new ImapCredentialVerifier(TimeSpan.FromSeconds(5));
        var endpoint = new ImapEndpoint(dovecot.Host, dovecot.Port, TlsMode.None);
        await dovecot.AddUserAsync("restart", "correct horse");
        Assert.Equal(CredentialCheckOutcome.Accepted, (await verifier.VerifyAsync(endpoint, "restart", "correct horse", CancellationToken.None)).Outcome);

        await dovecot.StopAsync();
        var whileStopped = await verifier.VerifyAsync(endpoint, "restart", "correct horse", CancellationToken.None);
        await dovecot.StartAsync();
        var afterRestart = await verifier.VerifyAsync(endpoint, "restart", "correct horse", CancellationToken.None);

        Assert.Equal(CredentialCheckOutcome.Unreachable, whileStopped.Outcome);
        Assert.Contains($"{dovecot.Host}:{dovecot.Port}", whileStopped.ServerMessage);
        Assert.True(afterRestart.Outcome == CredentialCheckOutcome.Accepted, $"{afterRestart}\n{dovecot.ReadLog()}");
    }
}
