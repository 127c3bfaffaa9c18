using System.ComponentModel.DataAnnotations;

namespace MigrationPortal.Web.Startup;

/// <summary>The <c>Portal</c> configuration section.</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>The base of every link the portal emails, e.g. https://migrate.example.org. Never taken from a request.</summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>How long an emailed credential link stays valid.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan CredentialLinkLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The least time between two emails of one link that an admin's Resend Request may cause.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long after a migration ends its user's link still shows the mailbox's status.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "90.00:00:00")]
    public TimeSpan StatusPageLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the user's status page reloads itself while their migration runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StatusPageRefresh { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the reminders worker looks for users to remind (each project says after how long, and how often).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ReminderPoll { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an open dashboard asks where running passes stand (one small query per open dashboard).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:01:00")]
    public TimeSpan DashboardRefresh { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>The <c>Licenses</c> configuration section: what one mailbox license covers.</summary>
public sealed class LicenseOptions
{
    public const string Section = "Licenses";

    [Range(1, 1000)]
    public int MaxPassesPerLicense { get; set; } = 10;

    [Range(1, 100_000)]
    public int MaxGigabytesPerLicense { get; set; } = 50;
}

/// <summary>The <c>Admin</c> section: the first admin account, created at start-up when missing, and how often anyone may try to sign in.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";
    public string? Email { get; set; }
    public string? Password { get; set; }

    /// <summary>When set, an admin without two-factor sign-in can reach nothing but the page that sets it up.</summary>
    public bool RequireTwoFactor { get; set; }

    /// <summary>Failed sign-ins allowed per client address per <see cref="SignInWindow"/>; below the lockout's 5 failures.</summary>
    [Range(1, 10_000)]
    public int SignInPermitLimit { get; set; } = 4;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(15);
}
