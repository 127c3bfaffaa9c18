using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.CredentialRequests;

namespace MigrationPortal.Data.Configurations;

internal sealed class CredentialRequestConfiguration : IEntityTypeConfiguration<CredentialRequest>
{
    public void Configure(EntityTypeBuilder<CredentialRequest> builder)
    {
        builder.ToTable("CredentialRequests");
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.NonceHash).HasMaxLength(32);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(r => new { r.MailboxId, r.State });
        builder.Ignore(r => r.IsOutstanding);
    }
}
