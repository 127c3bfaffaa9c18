using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Data.Configurations;

internal sealed class MigrationPassConfiguration : IEntityTypeConfiguration<MigrationPass>
{
    public void Configure(EntityTypeBuilder<MigrationPass> builder)
    {
        builder.ToTable("MigrationPasses");
        builder.Property(p => p.Outcome).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(p => new { p.MailboxId, p.Number }).IsUnique();
        // Passes from before pass kinds were all Full passes.
        builder.Property(p => p.Kind).HasConversion<string>().HasMaxLength(16).HasDefaultValue(PassKind.Full);
        builder.Property(p => p.NotKept).HasMaxLength(MigrationPass.MaxNotKeptLength);
        builder.Property(p => p.ServerFallbacks).HasMaxLength(MigrationPass.MaxLinesLength);
        builder.Property(p => p.FoldersRenamed).HasMaxLength(MigrationPass.MaxLinesLength);
        builder.Property(p => p.Throttling).HasMaxLength(MigrationPass.MaxThrottlingLength);
        builder.Ignore(p => p.MovedData);
        builder.Ignore(p => p.UsesLicense);
        builder.Ignore(p => p.MessagesPerSecond);
        builder.Ignore(p => p.BytesPerSecond);
    }
}
