using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Access;

namespace MigrationPortal.Web.Pages.Access;

/// <summary>
/// Where the provider sends the user's browser back after "Sign in with …" (the redirect URI registered with the app):
/// the code is redeemed, the account checked against the mailbox and the mailbox opened with its token. A sign-in that
/// leaves a side of the form to fill in returns to the form; every other ending is said here, with the way back.
/// </summary>
[AllowAnonymous]
[SecureAccessHeaders]
public sealed class SignedInModel(UserSignInService signIns) : PageModel
{
    /// <summary>The path the sign-in cookies are sent on: the form that sets them and this page that reads them.</summary>
    public const string CookiePath = "/access";

    public UserSignInResult Result { get; private set; } = UserSignInResult.Invalid;

    public async Task<IActionResult> OnGetAsync([FromQuery] string? code, [FromQuery] string? state, [FromQuery] string? error,
        [FromQuery(Name = "error_description")] string? errorDescription, CancellationToken ct)
    {
        Result = await signIns.CompleteAsync(state, name => Request.Cookies[name], code, error, errorDescription, ct);
        // One sign-in per cookie: a reload or a replayed answer finds none.
        foreach (var side in Enum.GetValues<MailboxSide>())
            if (Request.Cookies.ContainsKey(UserSignInService.CookieName(side)))
                Response.Cookies.Delete(UserSignInService.CookieName(side), new CookieOptions { Path = CookiePath });
        switch (Result.Outcome)
        {
            case UserSignInOutcome.SignedIn:
                return RedirectToPage("/Access/Index", new { token = Result.LinkToken });
            case UserSignInOutcome.LinkInvalid:
                Response.StatusCode = IndexModel.InvalidStatusCode;
                return Page();
            default:
                return Page();
        }
    }
}
