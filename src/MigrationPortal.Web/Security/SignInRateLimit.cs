using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Security;

/// <summary>
/// Failed sign-ins are limited per client address (by default 4 per 15 minutes, fewer than the 5 failures that lock
/// the account), so a stranger is stopped before they can lock the admin out; the lockout stays for guessing spread
/// over many addresses. Only failures count: admins behind one office address can sign in as often as they like.
/// That is why this is not the rate-limiting middleware, which takes its permit before it knows how the attempt ends;
/// the same fixed-window limiter is asked before the password is tried and charged only when it was wrong.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly TimeSpan _window;

    public SignInThrottle(IOptions<AdminOptions> options)
    {
        var admin = options.Value;
        _window = admin.SignInWindow;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = admin.SignInPermitLimit,
                Window = admin.SignInWindow,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <returns>Null when this address may try a password; otherwise how long it must wait.</returns>
    public TimeSpan? WaitBeforeNextTry(HttpContext context)
    {
        // Asking for no permit only tells whether one is left.
        using var lease = _failures.AttemptAcquire(Partition(context), permitCount: 0);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _window;
    }

    public void RecordFailure(HttpContext context)
    {
        using var _ = _failures.AttemptAcquire(Partition(context));
    }

    /// <summary>The 429 answer; the status code page renders it in the admin layout, reading the wait from Retry-After.</summary>
    public static void Reject(HttpResponse response, TimeSpan wait)
    {
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
    }

    /// <summary>What a refused password or code says about the lockout it counts towards.</summary>
    public static string LockoutNote(Microsoft.AspNetCore.Identity.LockoutOptions lockout) =>
        $"After {lockout.MaxFailedAccessAttempts} failed attempts an account is locked for {lockout.DefaultLockoutTimeSpan.TotalMinutes:0} minutes.";

    private static string Partition(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "";

    public void Dispose() => _failures.Dispose();
}
