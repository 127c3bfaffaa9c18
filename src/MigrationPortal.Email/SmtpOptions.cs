namespace MigrationPortal.Email;

/// <summary>Bound from the <c>Smtp</c> configuration section.</summary>
public sealed class SmtpOptions
{
    public const string SectionName = "Smtp";

    /// <summary>Empty means no SMTP server: messages go to <see cref="PickupDirectory"/> instead.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    /// <summary>True: implicit TLS when <see cref="Port"/> is 465, STARTTLS required on any other port. False: plain text.</summary>
    public bool UseTls { get; set; }

    /// <summary>When set, the sender authenticates with this user and <see cref="Password"/>.</summary>
    public string? User { get; set; }

    public string? Password { get; set; }

    /// <summary>Used for messages that arrive at a sender without a From address.</summary>
    public string From { get; set; } = "MigrationPortal <no-reply@localhost>";

    /// <summary>Where .eml files are written when <see cref="Host"/> is empty; a relative path is resolved against the content root.</summary>
    public string PickupDirectory { get; set; } = "mail-outbox";

    internal bool HasHost => !string.IsNullOrWhiteSpace(Host);

    internal string Endpoint => $"{Host?.Trim()}:{Port}";

    public string ResolvePickupDirectory(string baseDirectory) => Path.GetFullPath(PickupDirectory, baseDirectory);
}
