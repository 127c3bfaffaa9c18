using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Checkpoints;

namespace MigrationPortal.Data.Configurations;

internal sealed class FolderCheckpointConfiguration : IEntityTypeConfiguration<FolderCheckpointRow>
{
    public void Configure(EntityTypeBuilder<FolderCheckpointRow> builder)
    {
        builder.ToTable("FolderCheckpoints");
        builder.HasKey(c => new { c.MailboxId, c.SourceFolder });
        builder.Property(c => c.SourceFolder).HasMaxLength(1000);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(c => c.MailboxId).OnDelete(DeleteBehavior.Cascade);
    }
}
