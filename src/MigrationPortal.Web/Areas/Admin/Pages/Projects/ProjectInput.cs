using System.ComponentModel.DataAnnotations;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;

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

    [StringLength(MaxPinLength), CertificateSha256, Display(Name = "Source pinned certificate (SHA-256)")]
    public string? SourceCertificateSha256 { get; set; }

    [Required, StringLength(ImapEndpoint.MaxHostLength), Display(Name = "Destination IMAP host")]
    public string DestinationHost { get; set; } = "";

    [Range(1, 65535), Display(Name = "Destination port")]
    public int DestinationPort { get; set; } = 993;

    [Display(Name = "Destination security")]
    public TlsMode DestinationSecurity { get; set; } = TlsMode.Tls;

    [StringLength(MaxPinLength), CertificateSha256, Display(Name = "Destination pinned certificate (SHA-256)")]
    public string? DestinationCertificateSha256 { get; set; }

    [Range(1, MigrationProject.MaxConcurrencyLimit), Display(Name = "Maximum concurrent migrations")]
    public int MaxConcurrentMigrations { get; set; } = 10;

    [Range(1, MigrationProject.MaxReminderAfterDays), Display(Name = "Remind users who have not answered after (days)")]
    public int ReminderAfterDays { get; set; } = MigrationProject.DefaultReminderAfterDays;

    [Range(0, MigrationProject.MaxRemindersLimit), Display(Name = "Reminders at most (0: none)")]
    public int MaxReminders { get; set; } = MigrationProject.DefaultMaxReminders;

    [Range(1, MigrationProject.MaxMessagesPerSecondLimit), Display(Name = "Messages per second per mailbox (blank: no limit)")]
    public int? MaxMessagesPerSecond { get; set; }

    [Range(1, MigrationProject.MaxKilobytesPerSecondLimit), Display(Name = "Kilobytes per second per mailbox (blank: no limit)")]
    public int? MaxKilobytesPerSecond { get; set; }

    // 32 bytes as "AB:CD:…" with a space after each colon, and then some.
    private const int MaxPinLength = 200;

    public ImapEndpoint Source() => new(SourceHost, SourcePort, SourceSecurity, SourceCertificateSha256);
    public ImapEndpoint Destination() => new(DestinationHost, DestinationPort, DestinationSecurity, DestinationCertificateSha256);

    public static ProjectInput From(MigrationProject project) => new()
    {
        Name = project.Name,
        SourceHost = project.Source.Host,
        SourcePort = project.Source.Port,
        SourceSecurity = project.Source.Security,
        SourceCertificateSha256 = project.Source.CertificateSha256 is { } sourcePin ? ServerCertificates.Format(sourcePin) : null,
        DestinationHost = project.Destination.Host,
        DestinationPort = project.Destination.Port,
        DestinationSecurity = project.Destination.Security,
        DestinationCertificateSha256 = project.Destination.CertificateSha256 is { } destinationPin ? ServerCertificates.Format(destinationPin) : null,
        MaxConcurrentMigrations = project.MaxConcurrentMigrations,
        ReminderAfterDays = project.ReminderAfterDays,
        MaxReminders = project.MaxReminders,
        MaxMessagesPerSecond = project.MaxMessagesPerSecond,
        MaxKilobytesPerSecond = project.MaxKilobytesPerSecond,
    };
}
