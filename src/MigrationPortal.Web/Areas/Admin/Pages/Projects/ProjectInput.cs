using System.ComponentModel.DataAnnotations;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>The project form shared by Create and Edit.</summary>
public sealed class ProjectInput
{
    [Required, StringLength(MigrationProject.MaxNameLength), Display(Name = "Project name")]
    public string Name { get; set; } = "";

    [Required, StringLength(ImapEndpoint.MaxHostLength), Display(Name = "Source IMAP host")]
    public string SourceHost { get; set; } = "";

    [Range(1, 65535), Display(Name = "Source port")]
    public int SourcePort { get; set; } = 993;

    [Display(Name = "Source security")]
    public TlsMode SourceSecurity { get; set; } = TlsMode.Tls;

    [Required, StringLength(ImapEndpoint.MaxHostLength), Display(Name = "Destination IMAP host")]
    public string DestinationHost { get; set; } = "";

    [Range(1, 65535), Display(Name = "Destination port")]
    public int DestinationPort { get; set; } = 993;

    [Display(Name = "Destination security")]
    public TlsMode DestinationSecurity { get; set; } = TlsMode.Tls;

    [Range(1, MigrationProject.MaxConcurrencyLimit), Display(Name = "Maximum concurrent migrations")]
    public int MaxConcurrentMigrations { get; set; } = 10;

    public ImapEndpoint Source() => new(SourceHost, SourcePort, SourceSecurity);
    public ImapEndpoint Destination() => new(DestinationHost, DestinationPort, DestinationSecurity);

    public static ProjectInput From(MigrationProject project) => new()
    {
        Name = project.Name,
        SourceHost = project.Source.Host,
        SourcePort = project.Source.Port,
        SourceSecurity = project.Source.Security,
        DestinationHost = project.Destination.Host,
        DestinationPort = project.Destination.Port,
        DestinationSecurity = project.Destination.Security,
        MaxConcurrentMigrations = project.MaxConcurrentMigrations,
    };
}
