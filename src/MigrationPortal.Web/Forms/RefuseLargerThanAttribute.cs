using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace MigrationPortal.Web.Forms;

/// <summary>
/// Answers 413 (the error page's "Too much data") to a request whose Content-Length is over the page's limit, before
/// anything reads its form. Without it the first reader of the form is antiforgery, which fails on the limit and
/// answers 400, and the admin is told the form was out of date rather than too large. Browsers send a Content-Length
/// with every form; a request without one still meets the page's [RequestSizeLimit] while it is read.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RefuseLargerThanAttribute(int maxBytes) : Attribute, IAuthorizationFilter, IOrderedFilter
{
    /// <summary>After the admin policy (order 0): an anonymous request is sent to the login page, not told about sizes. Before antiforgery (1000).</summary>
    public int Order => 500;

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        if (context.HttpContext.Request.ContentLength > maxBytes)
            context.Result = new StatusCodeResult(StatusCodes.Status413PayloadTooLarge);
    }
}
