using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Data.Configurations;

internal sealed class LicensePoolConfiguration : IEntityTypeConfiguration<LicensePool>
{
    public void Configure(EntityTypeBuilder<LicensePool> builder)
    {
        builder.ToTable("LicensePools");
        builder.Property(p => p.Id).ValueGeneratedNever();
        // Not versioned: the available count only ever changes by one conditional update (LicensePoolStore).
        builder.Ignore(p => p.PendingChange);
        builder.HasMany(p => p.Movements).WithOne().HasForeignKey("PoolId").OnDelete(DeleteBehavior.Restrict);
        // The account's one pool exists from the first migration on, empty.
        builder.HasData(new { Id = LicensePool.SingletonId, Available = 0 });
    }
}

internal sealed class LicenseMovementConfiguration : IEntityTypeConfiguration<LicenseMovement>
{
    public void Configure(EntityTypeBuilder<LicenseMovement> builder)
    {
        builder.ToTable("LicenseMovements");
        builder.Property(m => m.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.Actor).HasMaxLength(256);
        builder.Property(m => m.Reason).HasMaxLength(1000);
        builder.Property(m => m.MailboxLabel).HasMaxLength(600);
        // The ledger outlives a deleted mailbox: the link is cut, the label stays.
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(m => m.MailboxId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(m => m.At);
        builder.Ignore(m => m.Change);
    }
}
