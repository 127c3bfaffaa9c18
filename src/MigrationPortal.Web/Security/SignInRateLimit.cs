using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Security;

/// <summary>
/// Sign-in POSTs are limited per client address (by default 4 per 15 minutes, fewer than the 5 failures that lock
/// the account), so a stranger is slowed before they can lock the admin out; the lockout stays for guessing spread
/// over many addresses. Past the limit: 429 with Retry-After, and the error page says how long to wait.
/// </summary>
public static class SignInRateLimit
{
    public const string Policy = "AdminSignIn";

    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AdminOptions>>((limiter, admin) =>
            limiter.AddPolicy(Policy, new SignInPolicy(admin.Value)));
        return services;
    }

    private sealed class SignInPolicy(AdminOptions options) : IRateLimiterPolicy<string>
    {
        // No body: the status code page renders it in the admin layout, with the wait read from Retry-After.
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = (rejected, _) =>
        {
            var response = rejected.HttpContext.Response;
            var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.SignInWindow;
            response.StatusCode = StatusCodes.Status429TooManyRequests;
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            response.Headers.CacheControl = "no-store";
            return ValueTask.CompletedTask;
        };

        // Reading the page is free; only the POSTs that try a password count.
        public RateLimitPartition<string> GetPartition(HttpContext context) =>
            HttpMethods.IsPost(context.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter("sign-in:" + context.Connection.RemoteIpAddress, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.SignInPermitLimit,
                    Window = options.SignInWindow,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter("");
    }
}
