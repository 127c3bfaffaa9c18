using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data.Statistics;

namespace MigrationPortal.Data.Configurations;

internal sealed class FolderStatisticsConfiguration : IEntityTypeConfiguration<FolderStatisticsRow>
{
    public void Configure(EntityTypeBuilder<FolderStatisticsRow> builder)
    {
        builder.ToTable("FolderStatistics");
        builder.Property(f => f.SourceFolder).HasMaxLength(1000);
        builder.Property(f => f.DestinationFolder).HasMaxLength(1000);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(f => f.MailboxId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => new { f.MailboxId, f.PassNumber, f.SourceFolder }).IsUnique();
    }
}
