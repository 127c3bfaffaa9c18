using Microsoft.Extensions.Options;

namespace MigrationPortal.Email;

/// <summary>Where outgoing mail goes, resolved once from configuration, for the host to log at start-up and the admin pages to show.</summary>
public sealed class EmailDeliveryDescription
{
    private readonly SmtpOptions _options;

    public EmailDeliveryDescription(IOptions<SmtpOptions> options, string contentRootPath)
    {
        _options = options.Value;
        UsesSmtp = _options.HasHost;
        PickupDirectory = _options.ResolvePickupDirectory(contentRootPath);
    }

    public bool UsesSmtp { get; }

    /// <summary>Absolute; used only when <see cref="UsesSmtp"/> is false.</summary>
    public string PickupDirectory { get; }

    public string Describe() => UsesSmtp
        ? $"SMTP {_options.Endpoint} ({SmtpSecurity.Describe(_options)})"
            + (string.IsNullOrEmpty(_options.User) ? "" : $" as {_options.User}")
        : $"writing .eml files to {PickupDirectory}";

    public override string ToString() => Describe();
}
