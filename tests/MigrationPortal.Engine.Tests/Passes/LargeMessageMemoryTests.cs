using System.Text;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>
/// Tests that count what the whole process allocates, so nothing else may run beside them: xunit runs this collection
/// on its own, after the parallel ones.
/// </summary>
[CollectionDefinition(nameof(AloneInTheProcess), DisableParallelization = true)]
public sealed class AloneInTheProcess : ICollectionFixture<UnlimitedPair>;

/// <summary>
/// What a very large message costs the engine: its bytes are held once, in pooled blocks, from FETCH to APPEND; no step
/// (MailKit's own stream, a byte array for the writer, a string) makes another managed copy of them.
/// </summary>
[Collection(nameof(AloneInTheProcess))]
public sealed class LargeMessageMemoryTests(UnlimitedPair servers)
{
    private const string Password = "pass-Word-1";
    private const int Megabytes = 50;
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Run_FiftyMegabyteMessage_HeldOnceInPooledBlocksAndNeverCopied()
    {
        // Everything a pass needs once per process (JIT, MailKit's tables, the first pool blocks) is paid by a small pass first.
        var warmUp = await UserAsync();
        await servers.Source.SaveRawAsync(warmUp, "INBOX", Encoding.ASCII.GetBytes("From: a@example.org\r\nSubject: warm-up\r\n\r\nsmall\r\n"));
        Assert.Equal(1, (await RunAsync(warmUp)).MessagesCopied);

        var user = await UserAsync();
        var body = new StringBuilder("From: ada@example.org\r\nSubject: fifty megabytes\r\nMessage-ID: <fifty@example.org>\r\n\r\n");
        var line = new string('q', 76) + "\r\n";
        while (body.Length < Megabytes * 1024 * 1024)
            body.Append(line);
        var message = Encoding.ASCII.GetBytes(body.ToString());
        body.Clear();
        await servers.Source.SaveRawAsync(user, "INBOX", message);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var watching = new CancellationTokenSource();
        var peak = WatchPeakAsync(watching.Token);
        var result = await RunAsync(user);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await watching.CancelAsync();
        var held = await peak;

        Assert.Equal(1, result.MessagesCopied);
        Assert.Equal(message.Length, result.BytesCopied);
        const long MiB = 1024 * 1024;
        // Held: the message's own blocks, once (FETCH writes into the buffer APPEND sends from), at the most.
        Assert.InRange(held, message.Length / 2, MessageBuffer.Footprint(message.Length));
        Assert.Equal(0, MessageBuffer.PooledBytesInUse); // and given back
        // Allocated: that buffer (new blocks, as the pool keeps only 16 MiB free) and the small objects of 12,800 reads of
        // 4 KiB (MailKit's socket stream links a timeout to every read: ~20 % of the bytes read, all short-lived). A second
        // managed copy of the message on the way, anywhere, would be another 50 MiB.
        Assert.True(allocated < message.Length * 3 / 2,
            $"Copying one {message.Length / MiB} MiB message allocated {allocated / MiB} MiB: more than one copy of it and the reads' overhead.");
    }

    /// <summary>The most message bytes the process held at once while the pass ran, looked at every millisecond.</summary>
    private static async Task<long> WatchPeakAsync(CancellationToken ct)
    {
        long peak = 0;
        while (!ct.IsCancellationRequested)
        {
            peak = Math.Max(peak, MessageBuffer.PooledBytesInUse);
            try { await Task.Delay(1, ct); } catch (OperationCanceledException) { }
        }
        return Math.Max(peak, MessageBuffer.PooledBytesInUse);
    }

    private Task<PassResult> RunAsync(string user) =>
        new MailboxMigration(_connector).RunAsync(Side(servers.Source, user), Side(servers.Destination, user), new MemoryCheckpoints(),
            PassOptions.Full, default, default);

    private static MigrationSide Side(DovecotServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));

    private async Task<string> UserAsync()
    {
        var user = "large" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        return user;
    }
}
