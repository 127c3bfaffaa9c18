using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MigrationPortal.Core;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Web.Projects.Discovery;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>
/// Create and Edit: the project form and its Find settings panels. Finding and choosing post the whole form back
/// (nothing is saved) and show it again with what was found, or with the chosen side's host, port and security filled in.
/// </summary>
public abstract class ProjectFormPage(ServerSettingsDiscovery discovery, EndpointChoices choices) : PageModel
{
    public const string Source = "Source";
    public const string Destination = "Destination";

    [BindProperty]
    public ProjectInput Input { get; set; } = new();

    private DiscoveryInput _sourceDiscovery = new() { Side = Source };
    private DiscoveryInput _destinationDiscovery = new() { Side = Destination };

    [BindProperty]
    public DiscoveryInput SourceDiscovery
    {
        get => _sourceDiscovery;
        set => (_sourceDiscovery = value).Side = Source;
    }

    [BindProperty]
    public DiscoveryInput DestinationDiscovery
    {
        get => _destinationDiscovery;
        set => (_destinationDiscovery = value).Side = Destination;
    }

    /// <summary>Said once the form was filled from a proposal.</summary>
    public string? Filled { get; private set; }

    public async Task<IActionResult> OnPostFindAsync(string? side, CancellationToken ct)
    {
        KeepValuesWithoutErrors();
        var panel = side == Destination ? DestinationDiscovery : SourceDiscovery;
        var pinText = side == Destination ? Input.DestinationCertificateSha256 : Input.SourceCertificateSha256;
        string? pin;
        try
        {
            pin = ImapEndpoint.NormaliseCertificateSha256(pinText);
        }
        catch (DomainValidationException e)
        {
            panel.Report = new DiscoveryReport(null, $"Fix the {panel.Side.ToLowerInvariant()}'s pinned certificate first, or clear it: {e.Message}", [], []);
            return Page();
        }
        var login = string.IsNullOrEmpty(panel.TestLogin) || string.IsNullOrEmpty(panel.TestPassword)
            ? null
            : new ImapLogin(panel.TestLogin, panel.TestPassword);
        panel.Report = await discovery.DiscoverAsync(new DiscoveryRequest(panel.Domain, panel.AllowUnencrypted, login, pin), ct);
        foreach (var found in panel.Report.Proposals.Where(p => p.CanBeUsed))
            panel.Choices[found.Proposal] = choices.Protect(new ChosenEndpoint(panel.Side, found.Proposal.Host, found.Proposal.Port, found.Proposal.Security, found.Proposal.Origin));
        return Page();
    }

    public IActionResult OnPostChoose(string? choice)
    {
        KeepValuesWithoutErrors();
        if (choices.Unprotect(choice) is not { } chosen)
        {
            ModelState.AddModelError(string.Empty, "Those settings can no longer be used (found more than 30 minutes ago, or not by this portal). Press Find settings again.");
            return Page();
        }
        var prefix = chosen.Side == Destination ? Destination : Source;
        if (chosen.Side == Destination)
        {
            Input.DestinationHost = chosen.Host;
            Input.DestinationPort = chosen.Port;
            Input.DestinationSecurity = chosen.Security;
        }
        else
        {
            Input.SourceHost = chosen.Host;
            Input.SourcePort = chosen.Port;
            Input.SourceSecurity = chosen.Security;
        }
        // The fields show the model's values only when the posted ones are forgotten.
        foreach (var field in new[] { "Host", "Port", "Security" })
            ModelState.Remove($"{nameof(Input)}.{prefix}{field}");
        Filled = $"{prefix} filled in with {chosen.Host}:{chosen.Port} ({SecurityText(chosen.Security)}), found by {chosen.Origin}. Nothing is saved until you press {SaveButton}.";
        return Page();
    }

    /// <summary>The text of the button that saves the form.</summary>
    public abstract string SaveButton { get; }

    public static string SecurityText(TlsMode security) => security switch
    {
        TlsMode.Tls => "TLS",
        TlsMode.StartTls => "STARTTLS",
        _ => "no encryption",
    };

    // Finding is not saving: a project name not typed yet is no error here, but what was typed stays in the form.
    private void KeepValuesWithoutErrors()
    {
        foreach (var entry in ModelState.Values)
            entry.Errors.Clear();
    }
}
