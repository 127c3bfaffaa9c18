using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Data.Configurations;

internal sealed class MigrationClaimConfiguration : IEntityTypeConfiguration<MigrationClaim>
{
    public void Configure(EntityTypeBuilder<MigrationClaim> builder)
    {
        builder.ToTable("MigrationClaims");
        // One row per mailbox at most: the primary key is what keeps two workers off one mailbox.
        builder.HasKey(c => c.MailboxId);
        builder.Property(c => c.MailboxId).ValueGeneratedNever();
        builder.Property(c => c.Owner).HasMaxLength(256);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(c => c.MailboxId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<MigrationProject>().WithMany().HasForeignKey(c => c.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(c => new { c.ProjectId, c.LeaseUntil });
        // One claim per slot: the database itself refuses a second claim in a slot, whatever the claiming code does.
        builder.HasIndex(c => new { c.ProjectId, c.SlotNumber }).IsUnique();
        builder.HasOne<ProjectMigrationSlot>().WithMany().HasForeignKey(c => new { c.ProjectId, c.SlotNumber }).OnDelete(DeleteBehavior.Cascade);
    }
}
