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
    public DbSet<EmailTemplate> EmailTemplates => Set<EmailTemplate>();
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
    public DbSet<Audit.AuditEntry> AuditEntries => Set<Audit.AuditEntry>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

        // A project's concurrency token, so an admin's save over a project changed since the form was loaded is refused
        // (Projects/Edit). On PostgreSQL it is the row's xmin, the id of the transaction that last wrote the row: the
        // database sets it on every update, whoever writes (another instance, a script, a writer that forgets to bump a
        // counter), and no column is added. The claimers' FOR SHARE read of the cap (MigrationClaimStore.ReadCapAsync)
        // only marks the row as locked (xmax), so it does not make an open form stale. SQLite has no such column: the
        // domain bumps Version on every Update, and that column is the token there.
        var project = builder.Entity<MigrationProject>();
        if (Database.IsNpgsql())
        {
            project.Ignore(p => p.Version);
            project.Property<uint>("xmin").HasColumnType("xid").ValueGeneratedOnAddOrUpdate().IsConcurrencyToken();
        }
        else
        {
            project.Property(p => p.Version).IsConcurrencyToken();
        }
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
