namespace MigrationPortal.Web.Security;

/// <summary>
/// The portal serves pages and static files, so GET, HEAD and POST are all it answers. Any other verb (TRACE,
/// PUT, OPTIONS from a scanner) is refused here with 405, before it reaches a page: a Razor page with no handler
/// for the verb would otherwise render without its OnGet having loaded anything, and crash.
/// </summary>
public static class HttpMethodGuard
{
    public const string Allowed = "GET, HEAD, POST";

    public static IApplicationBuilder UseAllowedHttpMethods(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var method = context.Request.Method;
            if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsPost(method))
                return next(context);
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = Allowed;
            return Task.CompletedTask;
        });
}
