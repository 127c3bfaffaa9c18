using System.Text;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Tests.Imap;

/// <summary>
/// What the connection's watcher keeps of the server's stream: a throttling response line, whole even when it arrives in
/// two reads, and never the same words inside a message being downloaded.
/// </summary>
public sealed class ThrottleWatcherTests
{
    private const string Line = "A0007 BAD Request is throttled. Suggested Backoff Time: 89117 milliseconds";

    [Theory]
    [InlineData(0)]
    [InlineData(14)]   // inside the sentence
    [InlineData(3)]    // inside the tag
    [InlineData(40)]   // inside the number
    public void ResponseLine_SplitAcrossReads_KeptWhole(int splitAfter)
    {
        var watcher = new ThrottleWatcher();
        var stream = Encoding.ASCII.GetBytes("* 3 FETCH (UID 9 FLAGS ())\r\n" + Line + "\r\n* BYE Connection closed. 14\r\n");
        var cut = stream.AsSpan().IndexOf("A0007"u8) + splitAfter;

        Feed(watcher, stream[..cut]);
        Feed(watcher, stream[cut..]);

        Assert.Equal(Line, watcher.LastThrottling);
    }

    [Fact]
    public void TheSameWordsInAMessageBody_NotTaken()
    {
        var watcher = new ThrottleWatcher();
        Feed(watcher, Encoding.ASCII.GetBytes("* 1 FETCH (UID 4 BODY[] {120}\r\nSubject: Request is throttled. Suggested Backoff Time: 5 milliseconds\r\n" +
            "\r\nThe proxy said: Request is throttled.\r\n)\r\nA0003 OK FETCH completed.\r\n"));

        Assert.Null(watcher.LastThrottling);
    }

    [Fact]
    public void UntaggedBye_WithTheWords_Kept()
    {
        var watcher = new ThrottleWatcher();
        Feed(watcher, Encoding.ASCII.GetBytes("* BYE Request is throttled. Suggested Backoff Time: 1500 milliseconds\r\n"));

        Assert.Equal("* BYE Request is throttled. Suggested Backoff Time: 1500 milliseconds", watcher.LastThrottling);
    }

    private static void Feed(ThrottleWatcher watcher, byte[] bytes)
    {
        // As MailKit hands its reads over: a buffer larger than the data, with an offset.
        var buffer = new byte[bytes.Length + 16];
        bytes.CopyTo(buffer, 8);
        watcher.LogServer(buffer, 8, bytes.Length);
    }
}
