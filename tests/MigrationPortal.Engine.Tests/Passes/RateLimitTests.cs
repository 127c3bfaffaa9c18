using System.Diagnostics;
using System.Text;
using MailKit;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>A project's messages- and bytes-per-second limits: the pass is paced to them, all its lanes together.</summary>
public sealed class RateLimitTests(UnlimitedPair servers) : IClassFixture<UnlimitedPair>
{
    private const string Password = "pass-Word-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task TransferRate_OneSecondsWorthAtOnceThenPaced_OnTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        var rate = new TransferRate(10, time);

        Assert.True(rate.TakeAsync(10, default).IsCompleted); // the burst
        var second = rate.TakeAsync(5, default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await second;
        // One take larger than a second's worth still goes, after its share: 25 units at 10/s, 1 s of it allowed at once.
        var large = rate.TakeAsync(25, default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(2499));
        Assert.False(large.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await large;
        Assert.Equal(TimeSpan.FromMilliseconds(500 + 2500), rate.Waited);
        // Idle time refills the allowance, but never beyond one second's worth.
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(rate.TakeAsync(10, default).IsCompleted);
        Assert.False(rate.TakeAsync(1, default).IsCompleted);
    }

    [Fact]
    public async Task Run_MaxMessagesPerSecond_PassPacedAndEverythingCopied()
    {
        var user = await SeedAsync(40, 20, bodyBytes: 100);

        var (unlimited, _) = await RunAsync(user, new PassOptions());
        var (limited, elapsed) = await RunAsync(user, new PassOptions { MaxMessagesPerSecond = 20 });

        Assert.Equal(TimeSpan.Zero, unlimited.RateLimitedFor);
        Assert.Equal(60, limited.MessagesCopied);
        // 60 messages at 20 a second, 20 of them at once: at least 2 s, whatever the lanes (a lower bound only).
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.95), $"took {elapsed}");
        Assert.True(limited.RateLimitedFor >= TimeSpan.FromSeconds(1.95), $"waited {limited.RateLimitedFor}");
    }

    [Fact]
    public async Task Run_MaxBytesPerSecond_PassPacedAndEverythingCopied()
    {
        var user = await SeedAsync(20, 10, bodyBytes: 10_000);

        var (unlimited, _) = await RunAsync(user, new PassOptions());
        var bytes = unlimited.BytesCopied;
        var (limited, elapsed) = await RunAsync(user, new PassOptions { MaxBytesPerSecond = bytes / 3 });

        Assert.Equal(TimeSpan.Zero, unlimited.RateLimitedFor);
        Assert.Equal(30, limited.MessagesCopied);
        Assert.Equal(bytes, limited.BytesCopied);
        // Three seconds' worth, one of them at once: at least 2 s.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.95), $"took {elapsed}");
    }

    /// <summary>A fresh copy of the user's mailbox (a new destination user each time), timed on the system clock.</summary>
    private async Task<(PassResult Result, TimeSpan Elapsed)> RunAsync(string user, PassOptions options)
    {
        var target = "dst" + Guid.NewGuid().ToString("N")[..8];
        await servers.Destination.AddUserAsync(target, Password);
        var migration = new MailboxMigration(_connector);
        var clock = Stopwatch.StartNew();
        var result = await migration.RunAsync(Side(servers.Source.Host, servers.Source.Port, user), Side(servers.Destination.Host, servers.Destination.Port, target),
            new MemoryCheckpoints(), options, default, default);
        return (result, clock.Elapsed);
    }

    private async Task<string> SeedAsync(int inbox, int projects, int bodyBytes)
    {
        var user = "rate" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        for (var i = 0; i < inbox + projects; i++)
            await servers.Source.SaveRawAsync(user, i < inbox ? "INBOX" : "Projects", Encoding.ASCII.GetBytes(
                $"From: ada@example.org\r\nSubject: m{i}\r\nMessage-ID: <m{i}.{user}@example.org>\r\n\r\n{new string((char)('a' + i % 26), bodyBytes)}\r\n"));
        return user;
    }

    private static MigrationSide Side(string host, int port, string user) =>
        new(new ImapEndpoint(host, port, TlsMode.None), new ImapLogin(user, Password));
}
