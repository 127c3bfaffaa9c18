using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Resources;

namespace MigrationPortal.Web.Pages.Access;

/// <summary>
/// The public secure form behind the emailed link. GET and HEAD only read (mail scanners fetch links); a POST
/// is the one thing that uses the link. Every invalid link gets the same neutral page and status code.
/// </summary>
[AllowAnonymous]
[SecureAccessHeaders]
[RequestSizeLimit(AccessRateLimits.MaxBodyBytes)]
[RequestFormLimits(ValueCountLimit = 16)]
public sealed class IndexModel(CredentialAccessService access, UserStatusService statuses, UserSignInService signIns,
    IStringLocalizer<PublicText> text, Microsoft.Extensions.Options.IOptions<Startup.PortalOptions> options) : PageModel
{
    public const int MaxLoginLength = 254;
    public const int MaxPasswordLength = 1024;

    public const int InvalidStatusCode = StatusCodes.Status410Gone;

    public enum Screen { Form, Invalid, Accepted, Rejected, Status }

    [FromRoute]
    public string Token { get; set; } = "";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public Screen View { get; private set; }
    public AccessForm? Form { get; private set; }
    /// <summary>Whether a server did not answer; the page then says so (<see cref="CredentialAccessService.UnreachableText"/>).</summary>
    public bool Unreachable { get; private set; }
    public string RejectedText { get; private set; } = "";

    /// <summary>After the user's credentials were accepted through this link: their mailbox's status.</summary>
    public UserStatus? Status { get; private set; }

    /// <summary>How often the status page reloads itself while the migration runs (a meta refresh: no script needed).</summary>
    public int RefreshSeconds => (int)Math.Max(1, options.Value.StatusPageRefresh.TotalSeconds);


    /// <summary>Whole sentences, not a word put into one, so each language can build its own.</summary>
    public string AskedText => (Form!.AsksPassword(Core.Mailboxes.MailboxSide.Source), Form.AsksPassword(Core.Mailboxes.MailboxSide.Destination)) switch
    {
        (true, true) => text["Enter the source and destination credentials of your mailbox."],
        (true, false) => text["Enter the source credentials of your mailbox."],
        (false, true) => text["Enter the destination credentials of your mailbox."],
        _ => text["Sign in with your mailbox's account to start its migration."],
    };

    /// <summary>The error recorded for a key that is not an input (a side to sign in to), or null.</summary>
    public string? Error(string key) => ModelState[key]?.Errors.FirstOrDefault()?.ErrorMessage;

    /// <summary>"true" for a field with an error (the input's aria-invalid), else null so the attribute is left out.</summary>
    public string? Invalid(string field) => ModelState[field]?.Errors.Count > 0 ? "true" : null;

    // The lengths are checked in CheckLengths rather than by [StringLength], so their messages come from the same
    // localizer as the others (data annotations localization would reach the admin area's models too).
    public sealed class InputModel
    {
        public string? SourceLogin { get; set; }
        public string? SourcePassword { get; set; }
        public string? DestinationLogin { get; set; }
        public string? DestinationPassword { get; set; }
    }

    /// <summary>GET and HEAD (a mail scanner's too): the form, counted as an opening; once used, the mailbox's status.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Form = await access.OpenAsync(Token, ct, countOpening: true);
        if (Form is null)
        {
            Status = await statuses.FindAsync(Token, ct);
            if (Status is null) return Invalid();
            View = Screen.Status;
            return Page();
        }
        Input.SourceLogin = Form.SourceLogin;
        Input.DestinationLogin = Form.DestinationLogin;
        return Page();
    }

    /// <summary>
    /// "Sign in with Microsoft / Google" for a side: a link, not a form, so the browser may be sent to the provider (the
    /// page's form-action allows only the portal). It only reads, as every GET of the link does: the state and the
    /// PKCE verifier live in an encrypted cookie of this browser until the provider sends it back.
    /// </summary>
    public async Task<IActionResult> OnGetSignInAsync(string? side, CancellationToken ct)
    {
        if (!Enum.TryParse<Core.Mailboxes.MailboxSide>(side, ignoreCase: true, out var which) || !Enum.IsDefined(which)
            || await signIns.StartAsync(Token, which, ct) is not { } start)
            return Invalid();
        Response.Cookies.Append(start.CookieName, start.CookieValue, new CookieOptions
        {
            HttpOnly = true,
            Secure = Request.IsHttps,
            // Lax: the provider's redirect back is a top-level GET from its site, which Strict would send without it.
            SameSite = SameSiteMode.Lax,
            Path = Pages.Access.SignedInModel.CookiePath,
            MaxAge = UserSignInService.Lifetime,
            IsEssential = true,
        });
        return Redirect(start.ProviderUrl.AbsoluteUri);
    }

    /// <summary>The sentence on a side the user signs in to; whole sentences, one per provider, so each language builds its own.</summary>
    public string SignInText(string provider) => provider == "Google" ? text["Sign in with Google"] : text["Sign in with Microsoft"];

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form = await access.OpenAsync(Token, ct);
        if (Form is null) return Invalid();
        CheckLengths();
        if (Form.AsksPassword(Core.Mailboxes.MailboxSide.Source)) CheckSide("Source", nameof(InputModel.SourceLogin), Input.SourceLogin, nameof(InputModel.SourcePassword), Input.SourcePassword);
        if (Form.AsksPassword(Core.Mailboxes.MailboxSide.Destination)) CheckSide("Destination", nameof(InputModel.DestinationLogin), Input.DestinationLogin, nameof(InputModel.DestinationPassword), Input.DestinationPassword);
        CheckSignedIn();
        if (!ModelState.IsValid) return Page();

        var result = await access.SubmitAsync(Token, new SubmittedCredentials(
            Input.SourceLogin?.Trim(), Input.SourcePassword, Input.DestinationLogin?.Trim(), Input.DestinationPassword), ct);
        switch (result.Outcome)
        {
            case SubmissionOutcome.Accepted:
                View = Screen.Accepted;
                return Page();
            case SubmissionOutcome.Rejected:
                View = Screen.Rejected;
                RejectedText = (result.SourceRejected, result.DestinationRejected) switch
                {
                    (true, true) => text["Neither your source nor your destination credentials were accepted by the mail servers."],
                    (true, false) => text["Your source credentials were not accepted by the source mail server."],
                    _ => text["Your destination credentials were not accepted by the destination mail server."],
                };
                return Page();
            case SubmissionOutcome.SignInMissing:
                // The sign-in was cleared while the form was filled in: the form as it is now says what is missing.
                Form = await access.OpenAsync(Token, ct);
                if (Form is null) return Invalid();
                CheckSignedIn();
                Input.SourcePassword = Input.DestinationPassword = null;
                return Page();
            case SubmissionOutcome.Unreachable:
                Unreachable = true;
                Input.SourcePassword = Input.DestinationPassword = null;
                return Page();
            default:
                return Invalid();
        }
    }

    /// <summary>On both sides, asked for or not: a post carrying more than the form allows is refused whole.</summary>
    private void CheckLengths()
    {
        string login = text["The login name is too long."], password = text["The password is too long."];
        foreach (var (field, value, max, message) in new[]
        {
            (nameof(InputModel.SourceLogin), Input.SourceLogin, MaxLoginLength, login),
            (nameof(InputModel.SourcePassword), Input.SourcePassword, MaxPasswordLength, password),
            (nameof(InputModel.DestinationLogin), Input.DestinationLogin, MaxLoginLength, login),
            (nameof(InputModel.DestinationPassword), Input.DestinationPassword, MaxPasswordLength, password),
        })
        {
            if (value?.Length > max) ModelState.AddModelError($"Input.{field}", message);
        }
    }

    /// <summary>A side answered by signing in must be signed in to before the form is sent.</summary>
    private void CheckSignedIn()
    {
        foreach (var (view, source) in new[] { (Form!.SourceSignIn, true), (Form.DestinationSignIn, false) })
        {
            if (view is null || view.SignedInAs is not null) continue;
            var message = (source, view.Provider == "Google") switch
            {
                (true, true) => text["Sign in with Google for your source mailbox first."],
                (true, false) => text["Sign in with Microsoft for your source mailbox first."],
                (false, true) => text["Sign in with Google for your destination mailbox first."],
                _ => text["Sign in with Microsoft for your destination mailbox first."],
            };
            ModelState.AddModelError(source ? "SourceSignIn" : "DestinationSignIn", message);
        }
    }

    private void CheckSide(string side, string loginField, string? login, string passwordField, string? password)
    {
        var source = side == "Source";
        if (string.IsNullOrWhiteSpace(login))
            ModelState.AddModelError($"Input.{loginField}", source ? text["Enter your source login name."] : text["Enter your destination login name."]);
        else if (login.Any(char.IsControl))
            ModelState.AddModelError($"Input.{loginField}", text["The login name contains characters that are not allowed."]);
        if (string.IsNullOrEmpty(password))
            ModelState.AddModelError($"Input.{passwordField}", source ? text["Enter your source password."] : text["Enter your destination password."]);
    }

    private IActionResult Invalid()
    {
        View = Screen.Invalid;
        Response.StatusCode = InvalidStatusCode;
        return Page();
    }
}
