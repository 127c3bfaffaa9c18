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
        builder.ComplexProperty(p => p.SourceSignIn, SignIn);
        builder.ComplexProperty(p => p.DestinationSignIn, SignIn);
    }

    // Rows from before sign-in methods existed read as Password (the column's default in the migration).
    private static void SignIn(ComplexPropertyBuilder<SideSignIn> signIn)
    {
        signIn.Property(s => s.Method).HasConversion<string>().HasMaxLength(32);
        signIn.Property(s => s.TenantId).HasMaxLength(SideSignIn.MaxIdLength);
        signIn.Property(s => s.ClientId).HasMaxLength(SideSignIn.MaxIdLength);
        signIn.Property(s => s.TokenEndpoint).HasMaxLength(SideSignIn.MaxUrlLength);
        signIn.Property(s => s.AuthorizationEndpoint).HasMaxLength(SideSignIn.MaxUrlLength);
        // The ciphertext of a service account's JSON key (a few KB) or a client secret: unbounded.
        signIn.Property(s => s.ProtectedSecret);
        signIn.Property(s => s.CertificateThumbprint).HasMaxLength(40);
        signIn.Ignore(s => s.UsesTokens);
        signIn.Ignore(s => s.IsAdminAuthorised);
        signIn.Ignore(s => s.IsDelegated);
        signIn.Ignore(s => s.ProviderName);
    }

    private static void Endpoint(ComplexPropertyBuilder<ImapEndpoint> endpoint)
    {
        endpoint.Property(e => e.Host).HasMaxLength(ImapEndpoint.MaxHostLength);
        endpoint.Property(e => e.Security).HasConversion<string>().HasMaxLength(16);
        endpoint.Property(e => e.CertificateSha256).HasMaxLength(ImapEndpoint.CertificateSha256Length);
    }
}
