using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using MigrationPortal.Web.Resources;

namespace MigrationPortal.Web.Access;

/// <summary>The <c>Access</c> section: how often the secure form may be submitted.</summary>
public sealed class AccessOptions
{
    public const string Section = "Access";

    [Range(1, 1000)]
    public int PerLinkPermitLimit { get; set; } = 10;

    [Range(1, 10_000)]
    public int PerClientPermitLimit { get; set; } = 30;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Submissions of the secure form are limited per link and per client address (429 with Retry-After), so the
/// form cannot be used to guess passwords against a mail server; the domain also caps IMAP logins per link. A
/// provider's answer to "Sign in with …" counts against its client's limit too.
/// </summary>
public static class AccessRateLimits
{
    public const long MaxBodyBytes = 16 * 1024;

    public static IServiceCollection AddAccessRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccessOptions>().Bind(configuration.GetSection(AccessOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AccessOptions>>((limiter, access) =>
        {
            var o = access.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSubmission(context) || IsSignInReturn(context)
                    ? RateLimitPartition.GetFixedWindowLimiter("client:" + context.Connection.RemoteIpAddress, _ => Window(o.PerClientPermitLimit, o.Window))
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(context => IsSubmission(context)
                    ? RateLimitPartition.GetFixedWindowLimiter("link:" + LinkKey(context), _ => Window(o.PerLinkPermitLimit, o.Window))
                    : RateLimitPartition.GetNoLimiter("")));
            limiter.OnRejected = async (rejected, ct) =>
            {
                var response = rejected.HttpContext.Response;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : o.Window;
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                response.Headers.CacheControl = "no-store";
                response.ContentType = "text/plain; charset=utf-8";
                var text = rejected.HttpContext.RequestServices.GetRequiredService<IStringLocalizer<PublicText>>();
                await response.WriteAsync(text["Too many attempts. Wait a few minutes, then try again with the same link."], ct);
            };
        });
        return services;
    }

    /// <summary>
    /// Refuses an oversize submission with 413 before anything reads it. (The page's RequestSizeLimit covers bodies
    /// without a Content-Length, where the server supports it.)
    /// </summary>
    public static IApplicationBuilder UseAccessBodyLimit(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (IsSubmission(context) && context.Request.ContentLength > MaxBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413RequestEntityTooLarge;
                context.Response.Headers.CacheControl = "no-store";
                return Task.CompletedTask;
            }
            return next(context);
        });

    private static bool IsSubmission(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method)
        && context.Request.Path.StartsWithSegments(CredentialLinks.RoutePrefix.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A provider sending the browser back after "Sign in with …": each one costs a request to the provider's token
    /// endpoint and an IMAP login, so it counts as a submission for its client (its address is one for every link, so
    /// it has no per-link count).
    /// </summary>
    private static bool IsSignInReturn(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals(UserSignInService.ReturnPath, StringComparison.OrdinalIgnoreCase);

    // Keyed by a hash so the limiter's table never holds a usable token.
    private static string LinkKey(HttpContext context) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(context.Request.Path.Value ?? "")));

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };
}
