using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Web.Access;

namespace MigrationPortal.Web.Pages;

/// <summary>
/// The page behind every error status that has no body of its own (re-executed by UseStatusCodePages, and by
/// UseExceptionHandler for a 500). A request under /Admin gets the admin layout and a way back; any other gets
/// the public layout and the access pages' headers, since a link holder may land here. The page has no handler
/// so it renders for whatever verb the failed request used; antiforgery was the original request's concern.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[SecureAccessHeaders]
public sealed class ErrorModel : PageModel
{
    public sealed record Message(string Title, string Text);

    public int Code => Response.StatusCode >= 400 ? Response.StatusCode : StatusCodes.Status500InternalServerError;

    public bool InAdminArea => OriginalPath.StartsWithSegments("/Admin", StringComparison.OrdinalIgnoreCase);

    public Message Shown => (Code, InAdminArea) switch
    {
        (StatusCodes.Status400BadRequest, _) => new("Request not accepted", "The form was out of date or incomplete. Go back, reload the page and try again."),
        (StatusCodes.Status404NotFound, true) => new("Page not found", "There is nothing at this address: it may have been deleted, or the address is mistyped."),
        (StatusCodes.Status404NotFound, false) => new("Page not found", "There is nothing at this address. If you came from an email, open the whole link from that email."),
        (StatusCodes.Status405MethodNotAllowed, _) => new("Not allowed", "This address does not accept that kind of request."),
        (StatusCodes.Status410Gone, true) => new("No longer available", "What was at this address has been removed."),
        (StatusCodes.Status410Gone, false) => new("No longer available", "This link is no longer valid. Ask your administrator to send a new one."),
        (StatusCodes.Status413PayloadTooLarge, _) => new("Too much data", "What was sent is larger than this page accepts."),
        (StatusCodes.Status429TooManyRequests, _) => new("Too many attempts", $"Wait {WaitText}, then try again."),
        (< 500, _) => new("Request not accepted", $"The request could not be completed (status {Code})."),
        (_, true) => new("Something went wrong", "The request could not be completed. Try again; the portal's log has the details if it keeps happening."),
        _ => new("Something went wrong", "The request could not be completed. Try again later, and tell your administrator if it keeps happening."),
    };

    /// <summary>The Retry-After a rate limiter set, in words.</summary>
    private string WaitText =>
        int.TryParse(Response.Headers.RetryAfter, out var seconds) && seconds > 0
            ? seconds <= 60 ? "a minute" : $"about {(int)Math.Ceiling(seconds / 60.0)} minutes"
            : "a few minutes";

    private PathString OriginalPath =>
        HttpContext.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalPath
        ?? HttpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path
        ?? Request.Path;
}
