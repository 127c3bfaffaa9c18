using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data.MigrationClaims;

namespace MigrationPortal.Data.Configurations;

internal sealed class ProjectMigrationSlotConfiguration : IEntityTypeConfiguration<ProjectMigrationSlot>
{
    public void Configure(EntityTypeBuilder<ProjectMigrationSlot> builder)
    {
        builder.ToTable("ProjectMigrationSlots");
        builder.HasKey(s => new { s.ProjectId, s.SlotNumber });
        builder.HasOne<MigrationProject>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
