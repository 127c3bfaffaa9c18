using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MigrationPortal.Engine.Imap;
using Polly;
using Polly.Retry;

namespace MigrationPortal.Engine.Passes;

/// <summary>How often and how patiently a pass is retried after a transient fault.</summary>
public sealed record RetryPolicy
{
    public static readonly RetryPolicy Default = new();

    /// <summary>Retries after the first attempt; 0 turns retrying off.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>The first wait; each next one doubles (with jitter), up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Waits a provider's throttling may ask for in one pass, each as long as it suggests (see <see cref="ProviderLimits"/>),
    /// counted apart from <see cref="MaxRetries"/>: a throttled mailbox is not a broken one, and Exchange may throttle a
    /// large mailbox many times over hours. Each throttled wait gives the pass its transient retries afresh. 0: a
    /// throttling answer fails the pass.
    /// </summary>
    public int MaxThrottledWaits { get; init; } = 20;
}

/// <summary>
/// Which failures are worth another attempt: a dropped or timed-out connection, a server that was briefly unreachable
/// or said it is busy. A refused login, a full mailbox or a bug are not. A pass can be retried as a whole because its
/// checkpoints and journal make a second attempt copy nothing twice.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception e) => ProviderLimits.Recognise(e) is { } limit
        ? limit.Kind == ProviderLimitKind.Throttled
        : e switch
        {
            MigrationSideException side => side.Failure == ImapConnectFailure.Unreachable,
            ImapCommandException command => command.Response == ImapCommandResponse.No
                && (command.ResponseText?.Contains("[UNAVAILABLE]", StringComparison.OrdinalIgnoreCase) == true
                    || command.ResponseText?.Contains("[INUSE]", StringComparison.OrdinalIgnoreCase) == true),
            ImapProtocolException or ServiceNotConnectedException or SocketException or TimeoutException or IOException => true,
            _ => false,
        };

    /// <param name="onRetry">Told of each transient fault retried after, and the wait before it.</param>
    /// <param name="onThrottled">Told of each throttling answer: the wait the server asked for, and its words.</param>
    public static ResiliencePipeline Pipeline(RetryPolicy policy, TimeProvider time, Action<Exception, TimeSpan>? onRetry = null,
        Action<TimeSpan, string>? onThrottled = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        // Outermost: a throttled attempt waits as long as the server suggests, however many transient retries the
        // attempt had used, and gets them all back (the inner strategy starts afresh on every execution).
        if (policy.MaxThrottledWaits > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => Throttling(e) is not null),
                MaxRetryAttempts = policy.MaxThrottledWaits,
                DelayGenerator = args => new ValueTask<TimeSpan?>(Throttling(args.Outcome.Exception)?.Backoff),
                OnRetry = args =>
                {
                    if (Throttling(args.Outcome.Exception) is { } limit) onThrottled?.Invoke(args.RetryDelay, limit.ServerWords);
                    return default;
                },
            });
        }
        if (policy.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e) && ProviderLimits.Recognise(e) is null),
                MaxRetryAttempts = policy.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = policy.FirstDelay,
                MaxDelay = policy.MaxDelay,
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } e) onRetry?.Invoke(e, args.RetryDelay);
                    return default;
                },
            });
        }
        return builder.Build();
    }

    private static ProviderLimit? Throttling(Exception? e) =>
        ProviderLimits.Recognise(e) is { Kind: ProviderLimitKind.Throttled } limit ? limit : null;
}
