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

internal sealed class FailedMessageConfiguration : IEntityTypeConfiguration<FailedMessageRow>
{
    public void Configure(EntityTypeBuilder<FailedMessageRow> builder)
    {
        builder.ToTable("FailedMessages");
        builder.Property(f => f.Folder).HasMaxLength(1000);
        builder.Property(f => f.Subject).HasMaxLength(FailedMessageRow.MaxSubjectLength);
        builder.Property(f => f.ServerAnswer).HasMaxLength(FailedMessageRow.MaxAnswerLength);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(f => f.MailboxId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(f => new { f.MailboxId, f.PassNumber });
        // A message is listed once, however many passes it failed in (Folder + Uid is how the engine names it).
        builder.HasIndex(f => new { f.MailboxId, f.Folder, f.Uid }).IsUnique();
    }
}

internal sealed class CopiedMessagesConfiguration : IEntityTypeConfiguration<CopiedMessagesRow>
{
    public void Configure(EntityTypeBuilder<CopiedMessagesRow> builder)
    {
        builder.ToTable("CopiedMessages");
        builder.Property(c => c.SourceFolder).HasMaxLength(1000);
        builder.HasOne<Mailbox>().WithMany().HasForeignKey(c => c.MailboxId).OnDelete(DeleteBehavior.Cascade);
        // A Delta reads one folder's map at a time.
        builder.HasIndex(c => new { c.MailboxId, c.SourceFolder });
    }
}
