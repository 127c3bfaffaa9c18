namespace MigrationPortal.Core.Licenses;

/// <summary>What one mailbox license covers before the item needs another.</summary>
public sealed record LicensePolicy(int MaxPassesPerLicense = 10, long MaxBytesPerLicense = 50L * 1024 * 1024 * 1024)
{
    public static LicensePolicy Default { get; } = new();
}

public enum MailboxLicenseState
{
    None = 0,
    Held = 1,
    Consumed = 2,
}
