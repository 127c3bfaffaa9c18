using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>A server that goes away in mid-pass: the pass waits, reconnects, resumes from its checkpoints, and duplicates nothing.</summary>
public sealed class TransientFaultTests(UnlimitedPair servers) : IClassFixture<UnlimitedPair>
{
    private const string Password = "pass-Word-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Run_DestinationRestartsAfterTheFirstBatch_RetriedAndEveryMessageThereOnce()
    {
        var user = "fault" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        // Four batches in INBOX, two in Projects: a batch's checkpoint is written while the next batch goes out, so the
        // restart (in the first save) is certain to be met by the batch after that one, on the connection it broke.
        for (var i = 0; i < 240; i++)
            await servers.Source.SaveRawAsync(user, i % 3 == 0 ? "Projects" : "INBOX",
                Encoding.ASCII.GetBytes($"From: ada@example.org\r\nSubject: m{i}\r\nMessage-ID: <m{i}@example.org>\r\n\r\nbody {i}\r\n"));
        var checkpoints = new MemoryCheckpoints();
        var restarted = false;
        checkpoints.AfterSave = batch =>
        {
            if (restarted || batch.Messages == 0) return;
            restarted = true;
            // Blocks the folder's next save, and so its batch after the next, while the destination goes away and comes back.
            servers.Destination.StopAsync().GetAwaiter().GetResult();
            servers.Destination.StartAsync().GetAwaiter().GetResult();
        };
        var retries = new List<string>();
        var migration = new MailboxMigration(_connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(200) })
        {
            OnRetry = (fault, _) => retries.Add(fault.Message),
        };

        var result = await migration.RunAsync(Side(servers.Source, user), Side(servers.Destination, user), checkpoints, PassOptions.Full, default, default);

        Assert.True(restarted);
        Assert.NotEmpty(retries);
        Assert.Equal(240, result.MessagesCopied);
        Assert.Equal(240, result.MessagesFound);
        Assert.Equal(0, result.MessagesSkipped);
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines);
    }

    [Fact]
    public async Task Run_WrongDestinationPassword_NotRetriedAndNamesTheDestination()
    {
        var user = "fault" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        var retries = 0;
        var migration = new MailboxMigration(_connector, new RetryPolicy { FirstDelay = TimeSpan.FromMilliseconds(10) }) { OnRetry = (_, _) => retries++ };

        var refused = await Assert.ThrowsAsync<MigrationSideException>(() => migration.RunAsync(Side(servers.Source, user),
            new MigrationSide(Side(servers.Destination, user).Endpoint, new ImapLogin(user, "wrong")), new MemoryCheckpoints(), PassOptions.Full, default, default));

        Assert.False(refused.IsSource);
        Assert.Equal(ImapConnectFailure.Rejected, refused.Failure);
        Assert.Equal(0, retries);
    }

    private static MigrationSide Side(DovecotServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));

}
