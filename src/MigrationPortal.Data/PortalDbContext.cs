using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data.ActionReports;
using MigrationPortal.Data.Checkpoints;
using MigrationPortal.Data.MigrationClaims;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Data.Statistics;

namespace MigrationPortal.Data;

/// <summary>One database for the portal: admins (Identity), the DataProtection key ring, and the domain.</summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options)
    : IdentityDbContext<IdentityUser>(options), IDataProtectionKeyContext
{
    public DbSet<MigrationProject> Projects => Set<MigrationProject>();
    public DbSet<Mailbox> Mailboxes => Set<Mailbox>();
    public DbSet<MailboxEvent> MailboxEvents => Set<MailboxEvent>();
    public DbSet<MigrationPass> MigrationPasses => Set<MigrationPass>();
    public DbSet<CredentialRequest> CredentialRequests => Set<CredentialRequest>();
    public DbSet<LicensePool> LicensePools => Set<LicensePool>();
    public DbSet<LicenseMovement> LicenseMovements => Set<LicenseMovement>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<ActionReport> ActionReports => Set<ActionReport>();
    public DbSet<ActionReportItem> ActionReportItems => Set<ActionReportItem>();
    public DbSet<MigrationClaim> MigrationClaims => Set<MigrationClaim>();
    public DbSet<ProjectMigrationSlot> ProjectMigrationSlots => Set<ProjectMigrationSlot>();
    public DbSet<FolderCheckpointRow> FolderCheckpoints => Set<FolderCheckpointRow>();
    public DbSet<FailedMessageRow> FailedMessages => Set<FailedMessageRow>();
    public DbSet<CopiedMessagesRow> CopiedMessages => Set<CopiedMessagesRow>();
    public DbSet<FolderStatisticsRow> FolderStatistics => Set<FolderStatisticsRow>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date type that sorts and compares in SQL; the binary form (ticks with the offset in the low
        // bits) does, because every value comes from TimeProvider.GetUtcNow() with offset zero. Expiry and lease
        // queries rely on it.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }
}
