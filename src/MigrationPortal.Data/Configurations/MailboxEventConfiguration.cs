using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Data.Configurations;

internal sealed class MailboxEventConfiguration : IEntityTypeConfiguration<MailboxEvent>
{
    public void Configure(EntityTypeBuilder<MailboxEvent> builder)
    {
        builder.ToTable("MailboxEvents");
        builder.Property(e => e.Actor).HasMaxLength(256);
        builder.Property(e => e.Description).HasMaxLength(4000);
        builder.Property(e => e.FromStatus).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.ToStatus).HasConversion<string>().HasMaxLength(32);
        builder.HasIndex(e => new { e.MailboxId, e.Id });
    }
}
