using MailKit.Net.Smtp;
using MigrationPortal.Fixtures.Smtp;

namespace MigrationPortal.Email.Tests;

// The fixture is shared by other test projects, so its own promises are checked here too.
public sealed class SmtpSinkTests
{
    [Fact]
    public async Task WaitForMessageAsync_MessageArrivesLater_ReturnsIt()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();

        var waiting = sink.WaitForMessageAsync(m => m.Subject == "late", TestMessages.Wait);
        Assert.False(waiting.IsCompleted);
        await SendDirectlyAsync(sink, "early");
        await SendDirectlyAsync(sink, "late");

        Assert.Equal("late", (await waiting).Subject);
    }

    [Fact]
    public async Task WaitForMessageAsync_NoMatch_ThrowsTimeoutListingWhatArrived()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await SendDirectlyAsync(sink, "something else");

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => sink.WaitForMessageAsync(m => m.Subject == "never sent", TimeSpan.FromMilliseconds(200)));

        Assert.Contains("1 arrived", error.Message);
        Assert.Contains("'something else' from <portal@example.org> to <ada@example.org>", error.Message);
    }

    [Fact]
    public async Task StartAsync_AfterStop_ListensOnTheSamePort()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        var port = sink.Port;

        await sink.StopAsync();
        Assert.False(sink.IsRunning);
        await sink.StartAsync();

        Assert.True(sink.IsRunning);
        Assert.Equal(port, sink.Port);
        await SendDirectlyAsync(sink, "back");
        Assert.Equal("back", Assert.Single(sink.Messages).Subject);
    }

    private static async Task SendDirectlyAsync(SmtpSink sink, string subject)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync(sink.Host, sink.Port, MailKit.Security.SecureSocketOptions.None);
        await client.SendAsync(TestMessages.Create(subject, from: "portal@example.org"));
        await client.DisconnectAsync(quit: true);
    }
}
