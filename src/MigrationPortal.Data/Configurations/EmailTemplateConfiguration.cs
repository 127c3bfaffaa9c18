using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Data.Configurations;

internal sealed class EmailTemplateConfiguration : IEntityTypeConfiguration<EmailTemplate>
{
    public void Configure(EntityTypeBuilder<EmailTemplate> builder)
    {
        builder.ToTable("EmailTemplates");
        builder.Property(t => t.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(t => t.Subject).HasMaxLength(EmailTemplate.MaxSubjectLength);
        builder.Property(t => t.Body).HasMaxLength(EmailTemplate.MaxBodyLength);
        builder.Property(t => t.UpdatedBy).HasMaxLength(256);
        // One wording per kind of email and project; it goes with its project.
        builder.HasIndex(t => new { t.ProjectId, t.Kind }).IsUnique();
        builder.HasOne<MigrationProject>().WithMany().HasForeignKey(t => t.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
