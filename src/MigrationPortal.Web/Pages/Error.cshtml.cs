using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Resources;

namespace MigrationPortal.Web.Pages;

/// <summary>
/// The page behind every error status that has no body of its own (re-executed by UseStatusCodePages, and by
/// UseExceptionHandler for a 500). A request under /Admin gets the admin layout and a way back; any other gets
/// the public layout and the access pages' headers, since a link holder may land here. The page has no handler
/// so it renders for whatever verb the failed request used; antiforgery was the original request's concern.
/// The public page speaks the user's language (<see cref="PublicText"/>); the admin's stays English.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[SecureAccessHeaders]
public sealed class ErrorModel(IStringLocalizer<PublicText> text) : PageModel
{
    public sealed record Message(string Title, string Text);

    public int Code => Response.StatusCode >= 400 ? Response.StatusCode : StatusCodes.Status500InternalServerError;

    public bool InAdminArea => OriginalPath.StartsWithSegments("/Admin", StringComparison.OrdinalIgnoreCase);

    public Message Shown => (Code, InAdminArea) switch
    {
        (StatusCodes.Status400BadRequest, _) => Say("Request not accepted", "The form was out of date or incomplete. Go back, reload the page and try again."),
        (StatusCodes.Status404NotFound, true) => Say("Page not found", "There is nothing at this address: it may have been deleted, or the address is mistyped."),
        (StatusCodes.Status404NotFound, false) => Say("Page not found", "There is nothing at this address. If you came from an email, open the whole link from that email."),
        (StatusCodes.Status405MethodNotAllowed, _) => Say("Not allowed", "This address does not accept that kind of request."),
        (StatusCodes.Status410Gone, true) => Say("No longer available", "What was at this address has been removed."),
        (StatusCodes.Status410Gone, false) => Say("No longer available", "This link is no longer valid. Ask your administrator to send a new one."),
        (StatusCodes.Status413PayloadTooLarge, _) => Say("Too much data", "What was sent is larger than this page accepts."),
        (StatusCodes.Status429TooManyRequests, _) => Say("Too many attempts", "Wait {0}, then try again.", WaitText),
        (< 500, _) => Say("Request not accepted", "The request could not be completed (status {0}).", Code),
        (_, true) => Say("Something went wrong", "The request could not be completed. Try again; the portal's log has the details if it keeps happening."),
        _ => Say("Something went wrong", "The request could not be completed. Try again later, and tell your administrator if it keeps happening."),
    };

    /// <summary>The Retry-After a rate limiter set, in words.</summary>
    private string WaitText =>
        int.TryParse(Response.Headers.RetryAfter, out var seconds) && seconds > 0
            ? seconds <= 60 ? Text("a minute") : Text("about {0} minutes", (int)Math.Ceiling(seconds / 60.0))
            : Text("a few minutes");

    private Message Say(string title, string body, params object[] arguments) => new(Text(title), Text(body, arguments));

    /// <summary>The admin area is not localised: its requests keep the process's culture, which may be any language.</summary>
    private string Text(string english, params object[] arguments) =>
        InAdminArea ? string.Format(CultureInfo.InvariantCulture, english, arguments) : text[english, arguments];

    private PathString OriginalPath =>
        HttpContext.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalPath
        ?? HttpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path
        ?? Request.Path;
}
