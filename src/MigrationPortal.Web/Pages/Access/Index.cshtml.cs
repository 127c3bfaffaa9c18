using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Web.Access;

namespace MigrationPortal.Web.Pages.Access;

/// <summary>
/// The public secure form behind the emailed link. GET and HEAD only read (mail scanners fetch links); a POST
/// is the one thing that uses the link. Every invalid link gets the same neutral page and status code.
/// </summary>
[AllowAnonymous]
[SecureAccessHeaders]
[RequestSizeLimit(AccessRateLimits.MaxBodyBytes)]
[RequestFormLimits(ValueCountLimit = 16)]
public sealed class IndexModel(CredentialAccessService access, UserStatusService statuses,
    Microsoft.Extensions.Options.IOptions<Startup.PortalOptions> options) : PageModel
{
    public const int InvalidStatusCode = StatusCodes.Status410Gone;

    public enum Screen { Form, Invalid, Accepted, Rejected, Status }

    [FromRoute]
    public string Token { get; set; } = "";

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public Screen View { get; private set; }
    public AccessForm? Form { get; private set; }
    public string? Problem { get; private set; }
    public string RejectedText { get; private set; } = "";

    /// <summary>After the user's credentials were accepted through this link: their mailbox's status.</summary>
    public UserStatus? Status { get; private set; }

    /// <summary>How often the status page reloads itself while the migration runs (a meta refresh: no script needed).</summary>
    public int RefreshSeconds => (int)Math.Max(1, options.Value.StatusPageRefresh.TotalSeconds);

    public string AskedText => Form switch
    {
        { AsksSource: true, AsksDestination: true } => "source and destination",
        { AsksSource: true } => "source",
        _ => "destination",
    };

    public sealed class InputModel
    {
        [StringLength(254, ErrorMessage = "The login name is too long.")]
        public string? SourceLogin { get; set; }

        [StringLength(1024, ErrorMessage = "The password is too long.")]
        public string? SourcePassword { get; set; }

        [StringLength(254, ErrorMessage = "The login name is too long.")]
        public string? DestinationLogin { get; set; }

        [StringLength(1024, ErrorMessage = "The password is too long.")]
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

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Form = await access.OpenAsync(Token, ct);
        if (Form is null) return Invalid();
        if (Form.AsksSource) CheckSide("Source", nameof(InputModel.SourceLogin), Input.SourceLogin, nameof(InputModel.SourcePassword), Input.SourcePassword);
        if (Form.AsksDestination) CheckSide("Destination", nameof(InputModel.DestinationLogin), Input.DestinationLogin, nameof(InputModel.DestinationPassword), Input.DestinationPassword);
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
                    (true, true) => "Neither your source nor your destination credentials were accepted by the mail servers.",
                    (true, false) => "Your source credentials were not accepted by the source mail server.",
                    _ => "Your destination credentials were not accepted by the destination mail server.",
                };
                return Page();
            case SubmissionOutcome.Unreachable:
                Problem = result.Problem;
                Input.SourcePassword = Input.DestinationPassword = null;
                return Page();
            default:
                return Invalid();
        }
    }

    private void CheckSide(string side, string loginField, string? login, string passwordField, string? password)
    {
        if (string.IsNullOrWhiteSpace(login))
            ModelState.AddModelError($"Input.{loginField}", $"Enter your {side.ToLowerInvariant()} login name.");
        else if (login.Any(char.IsControl))
            ModelState.AddModelError($"Input.{loginField}", "The login name contains characters that are not allowed.");
        if (string.IsNullOrEmpty(password))
            ModelState.AddModelError($"Input.{passwordField}", $"Enter your {side.ToLowerInvariant()} password.");
    }

    private IActionResult Invalid()
    {
        View = Screen.Invalid;
        Response.StatusCode = InvalidStatusCode;
        return Page();
    }
}
