using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using MigrationPortal.Web.Projects.Discovery;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>The Find settings panel of one side of the project form. Nothing here is saved; the password is never shown again.</summary>
public sealed class DiscoveryInput
{
    [StringLength(320), Display(Name = "Email domain")]
    public string? Domain { get; set; }

    [StringLength(320), Display(Name = "Test login name (optional)")]
    public string? TestLogin { get; set; }

    [StringLength(1000), DataType(DataType.Password), Display(Name = "Test password (optional)")]
    public string? TestPassword { get; set; }

    [Display(Name = "Allow endpoints without encryption")]
    public bool AllowUnencrypted { get; set; }

    /// <summary>"Source" or "Destination".</summary>
    [BindNever]
    public string Side { get; set; } = "";

    /// <summary>What the last Find settings of this side found; null before it was pressed.</summary>
    [BindNever]
    public DiscoveryReport? Report { get; set; }

    /// <summary>Each usable proposal's protected value for its "Use these settings" button.</summary>
    [BindNever]
    public Dictionary<Proposal, string> Choices { get; } = [];
}
