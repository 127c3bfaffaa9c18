using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Data.Configurations;

internal sealed class MigrationProjectConfiguration : IEntityTypeConfiguration<MigrationProject>
{
    public void Configure(EntityTypeBuilder<MigrationProject> builder)
    {
        builder.ToTable("Projects");
        builder.Property(p => p.Name).HasMaxLength(MigrationProject.MaxNameLength);
        builder.ComplexProperty(p => p.Source, Endpoint);
        builder.ComplexProperty(p => p.Destination, Endpoint);
        builder.Property(p => p.UserLanguage).HasMaxLength(16);
    }

    private static void Endpoint(ComplexPropertyBuilder<ImapEndpoint> endpoint)
    {
        endpoint.Property(e => e.Host).HasMaxLength(ImapEndpoint.MaxHostLength);
        endpoint.Property(e => e.Security).HasConversion<string>().HasMaxLength(16);
        endpoint.Property(e => e.CertificateSha256).HasMaxLength(ImapEndpoint.CertificateSha256Length);
    }
}
