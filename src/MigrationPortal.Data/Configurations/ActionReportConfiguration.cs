using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data.ActionReports;

namespace MigrationPortal.Data.Configurations;

internal sealed class ActionReportConfiguration : IEntityTypeConfiguration<ActionReport>
{
    public void Configure(EntityTypeBuilder<ActionReport> builder)
    {
        builder.ToTable("ActionReports");
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.Action).HasMaxLength(64);
        builder.Property(r => r.Actor).HasMaxLength(256);
        builder.Property(r => r.PassKind).HasConversion<string>().HasMaxLength(16);
        builder.Ignore(r => r.Pass);
        builder.HasOne<MigrationProject>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.Items).WithOne().HasForeignKey(i => i.ReportId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.ProjectId, r.CreatedAt });
    }
}

internal sealed class ActionReportItemConfiguration : IEntityTypeConfiguration<ActionReportItem>
{
    public void Configure(EntityTypeBuilder<ActionReportItem> builder)
    {
        builder.ToTable("ActionReportItems");
        builder.Property(i => i.Label).HasMaxLength(600);
        builder.Property(i => i.Reason).HasMaxLength(ActionReportItem.MaxReasonLength);
        builder.Property(i => i.State).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(i => new { i.ReportId, i.Position });
        builder.HasIndex(i => new { i.State, i.ClaimedUntil });
    }
}
