using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace MigrationPortal.Web.Security;

/// <summary>
/// A request for which a page declares no handler (a POST to a page that only has OnGet) is answered 405 with
/// the verbs the page does handle, instead of rendering the page with nothing loaded. A verb the page handles
/// but with an unknown handler name (<c>?handler=Nope</c>) is a 404. Pages without any handler (the error page)
/// render for every verb, as before.
/// </summary>
public sealed class MissingHandlerFilter : IPageFilter
{
    private static readonly string[] KnownOrder = ["GET", "HEAD", "POST"];

    public void OnPageHandlerSelected(PageHandlerSelectedContext context) { }

    public void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        var handlers = context.ActionDescriptor.HandlerMethods;
        if (context.HandlerMethod is not null || handlers.Count == 0) return;

        var handled = handlers.Select(h => h.HttpMethod.ToUpperInvariant()).ToHashSet();
        if (handled.Contains("GET")) handled.Add("HEAD");
        if (handled.Contains(context.HttpContext.Request.Method.ToUpperInvariant()))
        {
            context.Result = new NotFoundResult();
            return;
        }
        context.HttpContext.Response.Headers.Allow = string.Join(", ",
            KnownOrder.Where(handled.Contains).Concat(handled.Except(KnownOrder).Order(StringComparer.Ordinal)));
        context.Result = new StatusCodeResult(StatusCodes.Status405MethodNotAllowed);
    }

    public void OnPageHandlerExecuted(PageHandlerExecutedContext context) { }
}
