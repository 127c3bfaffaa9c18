using Microsoft.AspNetCore.Mvc.Filters;

namespace MigrationPortal.Web.Access;

/// <summary>
/// The credential form and its result pages are never cached, never framed, never leak their address
/// (it holds the token) through Referer, and load nothing from elsewhere.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SecureAccessHeadersAttribute : Attribute, IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var headers = context.HttpContext.Response.Headers;
        // What the antiforgery token on the form makes it anyway: anything else first and ASP.NET Core logs a warning
        // on every visit as it overrides it.
        headers.CacheControl = "no-cache, no-store";
        headers.Pragma = "no-cache";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        return next();
    }
}
