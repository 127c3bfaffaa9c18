using MailKit.Net.Imap;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>What the providers' limit answers are taken for, and how long the retry pipeline waits after one, on a fake clock.</summary>
public sealed class ThrottlingAnswerTests
{
    public static TheoryData<string, ProviderLimitKind?, double?> Answers => new()
    {
        // The wordings from imapsync's FAQ and issues, imap_tools #135 and email-oauth2-proxy #191.
        { "Request is throttled. Suggested Backoff Time: 299961 milliseconds", ProviderLimitKind.Throttled, 299961 },
        { "NO Request is throttled. Suggested Backoff Time: 186000 milliseconds", ProviderLimitKind.Throttled, 186000 },
        { "BAD Request is throttled. Suggested Backoff Time: 178755 milliseconds", ProviderLimitKind.Throttled, 178755 },
        { "request is THROTTLED. suggested backoff time:89117 milliseconds", ProviderLimitKind.Throttled, 89117 },
        // No number: the default; a huge one: the cap; zero: the floor.
        { "Request is throttled.", ProviderLimitKind.Throttled, ProviderLimits.DefaultBackoff.TotalMilliseconds },
        { "Request is throttled. Suggested Backoff Time: 999999999999 milliseconds", ProviderLimitKind.Throttled, ProviderLimits.MaxBackoff.TotalMilliseconds },
        { "Request is throttled. Suggested Backoff Time: 0 milliseconds", ProviderLimitKind.Throttled, ProviderLimits.MinBackoff.TotalMilliseconds },
        // Gmail's bandwidth limits (ha-email-sensor #16, mailcow #1554; chatwoot #6082 quotes the admin console).
        { "[OVERQUOTA] Account exceeded command or bandwidth limits.", ProviderLimitKind.DailyTransferCap, 0 },
        { "[ALERT] Account exceeded command or bandwidth limits. (Failure)", ProviderLimitKind.DailyTransferCap, 0 },
        { "Bandwidth limits exceeded", ProviderLimitKind.DailyTransferCap, 0 },
        { "Account has exceeded the Gmail bandwidth limit for downloads via IMAP", ProviderLimitKind.DailyTransferCap, 0 },
        // Not a provider's limit: a full mailbox (RFC 5530's OVERQUOTA, Dovecot's wording), a busy server, a refusal.
        { "[OVERQUOTA] Quota exceeded (mailbox for user is full)", null, null },
        { "[UNAVAILABLE] Temporary failure", null, null },
        { "Message too large", null, null },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void Recognise_ServerText_KindAndBackoff(string text, ProviderLimitKind? kind, double? backoffMs)
    {
        var limit = ProviderLimits.Recognise(text);

        Assert.Equal(kind, limit?.Kind);
        if (backoffMs is { } ms) Assert.Equal(TimeSpan.FromMilliseconds(ms), limit!.Backoff);
        if (limit is not null) Assert.StartsWith(limit.Kind == ProviderLimitKind.Throttled ? "Request is throttled" : "", limit.ServerWords, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Recognise_WhereverTheAnswerArrives_Found()
    {
        const string words = "Request is throttled. Suggested Backoff Time: 1500 milliseconds";
        var command = new ImapCommandException(ImapCommandResponse.No, words, "The IMAP server replied to the 'FETCH' command with a 'NO' response: " + words);
        var writer = new AppendWriterException("host:143 refused APPEND: " + words, serverText: words);
        var login = new MigrationSideException(isSource: false, new ImapConnectException(ImapConnectFailure.Rejected, words));
        var wrapped = new AggregateException(new InvalidOperationException("lane failed", command));

        foreach (var fault in new Exception[] { command, writer, login, wrapped })
        {
            var limit = ProviderLimits.Recognise(fault);
            Assert.Equal(ProviderLimitKind.Throttled, limit?.Kind);
            Assert.Equal(words, limit!.ServerWords);
            Assert.True(TransientFaults.IsTransient(fault) || fault is AggregateException, fault.GetType().Name);
        }
        // A login refused for its password stays a refused login; Gmail's cap is not retried.
        Assert.False(TransientFaults.IsTransient(new MigrationSideException(true, new ImapConnectException(ImapConnectFailure.Rejected, "AUTHENTICATE failed."))));
        Assert.False(TransientFaults.IsTransient(new ImapCommandException(ImapCommandResponse.No, "[OVERQUOTA] Account exceeded command or bandwidth limits.", "x")));
        Assert.False(TransientFaults.IsTransient(new AppendWriterException("x", serverText: "[ALERT] Account exceeded command or bandwidth limits.")));
    }

    [Fact]
    public async Task Pipeline_Throttled_WaitsTheSuggestedTimeOnTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        var told = new List<(TimeSpan Wait, string Words)>();
        var pipeline = TransientFaults.Pipeline(RetryPolicy.Default, time, onThrottled: (wait, words) => told.Add((wait, words)));
        var attempts = 0;

        var run = pipeline.ExecuteAsync(_ =>
        {
            if (++attempts == 1)
                throw new ImapCommandException(ImapCommandResponse.No, "Request is throttled. Suggested Backoff Time: 186000 milliseconds", "refused");
            return ValueTask.CompletedTask;
        }).AsTask();
        var advanced = await AdvanceUntilDoneAsync(time, run);

        Assert.Equal(2, attempts);
        Assert.Equal([(TimeSpan.FromMilliseconds(186000), "Request is throttled. Suggested Backoff Time: 186000 milliseconds")], told);
        // Not the 2 s of a transient fault's first wait: the fake clock had to pass the server's 186 s.
        Assert.True(advanced >= TimeSpan.FromMilliseconds(186000), $"resumed after {advanced}");
    }

    [Fact]
    public async Task Pipeline_ThrottledBetweenTransientFaults_DoesNotUseUpTheTransientRetries()
    {
        var time = new FakeTimeProvider();
        var throttled = 0;
        var retried = 0;
        var pipeline = TransientFaults.Pipeline(new RetryPolicy { MaxRetries = 2 }, time, (_, _) => retried++, (_, _) => throttled++);
        // Two transient faults (the whole budget), a throttling answer, two more transient faults, then success.
        var script = new Queue<Exception?>([new IOException("cut"), new IOException("cut"),
            new ImapCommandException(ImapCommandResponse.Bad, "Request is throttled. Suggested Backoff Time: 5000 milliseconds", "refused"),
            new IOException("cut"), new IOException("cut"), null]);

        var run = pipeline.ExecuteAsync(_ => script.Dequeue() is { } fault ? throw fault : ValueTask.CompletedTask).AsTask();
        await AdvanceUntilDoneAsync(time, run);

        Assert.Empty(script);
        Assert.Equal(1, throttled);
        Assert.Equal(4, retried);
    }

    [Fact]
    public async Task Pipeline_ThrottledMoreThanAllowed_Fails()
    {
        var time = new FakeTimeProvider();
        var pipeline = TransientFaults.Pipeline(new RetryPolicy { MaxThrottledWaits = 2 }, time);
        var attempts = 0;

        var run = pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw new ImapCommandException(ImapCommandResponse.No, "Request is throttled. Suggested Backoff Time: 1000 milliseconds", "refused");
        }).AsTask();
        await AdvanceUntilDoneAsync(time, run);

        await Assert.ThrowsAsync<ImapCommandException>(() => run);
        Assert.Equal(3, attempts);
    }

    /// <summary>
    /// Moves the fake clock a second at a time until the run completes, giving its continuations a moment between steps;
    /// returns how far the clock moved. A step that lands before a wait began only makes the total larger, never smaller.
    /// </summary>
    private static async Task<TimeSpan> AdvanceUntilDoneAsync(FakeTimeProvider time, Task run)
    {
        var advanced = TimeSpan.Zero;
        for (var steps = 0; !run.IsCompleted; steps++)
        {
            Assert.True(steps < 100_000, "The run never completed.");
            await Task.WhenAny(run, Task.Delay(1));
            if (run.IsCompleted) break;
            time.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
        }
        return advanced;
    }
}
