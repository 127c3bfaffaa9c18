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
}

/// <summary>
/// Which failures are worth another attempt: a dropped or timed-out connection, a server that was briefly unreachable
/// or said it is busy. A refused login, a full mailbox or a bug are not. A pass can be retried as a whole because its
/// checkpoints and journal make a second attempt copy nothing twice.
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception e) => e switch
    {
        MigrationSideException side => side.Failure == ImapConnectFailure.Unreachable,
        ImapCommandException command => command.Response == ImapCommandResponse.No
            && (command.ResponseText?.Contains("[UNAVAILABLE]", StringComparison.OrdinalIgnoreCase) == true
                || command.ResponseText?.Contains("[INUSE]", StringComparison.OrdinalIgnoreCase) == true),
        ImapProtocolException or ServiceNotConnectedException or SocketException or TimeoutException or IOException => true,
        _ => false,
    };

    public static ResiliencePipeline Pipeline(RetryPolicy policy, TimeProvider time, Action<Exception, TimeSpan>? onRetry = null)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (policy.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
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
}
