namespace MigrationPortal.Web.Security;

/// <summary>
/// Headers on every response, admin pages, public pages, error pages and static files alike. The pages load only
/// the portal's own stylesheet and icon and no inline style; the one inline script (the dashboard's progress) is allowed
/// by its hash, and may fetch from the portal itself. Keep it that way: another inline script needs its hash here. A header a page already set is left alone:
/// the access pages set a stricter Referrer-Policy of their own (<see cref="Access.SecureAccessHeadersAttribute"/>).
/// Kestrel's own <c>Server</c> header is switched off (<see cref="Startup.PortalServices"/>): no response names the framework.
/// </summary>
public static class SecurityHeaders
{
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; script-src 'self' {Areas.Admin.Pages.Projects.DashboardProgressScript.CspHash}; connect-src 'self'; "
        + "style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            // At the start of the response, so responses re-executed for an error page or written by a limiter get them too.
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.TryAdd("Content-Security-Policy", ContentSecurityPolicy);
                headers.TryAdd("X-Content-Type-Options", "nosniff");
                headers.TryAdd("Referrer-Policy", "same-origin");
                headers.TryAdd("X-Frame-Options", "DENY");
                // Pages carry personal data and tokens, and must not come back from a cache after logging out;
                // static files set their own caching first, so this reaches pages and error answers only.
                if (context.Response.StatusCode != StatusCodes.Status304NotModified)
                    headers.TryAdd("Cache-Control", "no-store");
                return Task.CompletedTask;
            });
            return next(context);
        });
}
