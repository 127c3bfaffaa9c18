using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Data.Configurations;

internal sealed class MailboxConfiguration : IEntityTypeConfiguration<Mailbox>
{
    public void Configure(EntityTypeBuilder<Mailbox> builder)
    {
        builder.ToTable("Mailboxes");
        builder.HasOne<MigrationProject>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(m => new { m.ProjectId, m.Status });

        builder.ComplexProperty(m => m.Source, Credentials);
        builder.ComplexProperty(m => m.Destination, Credentials);
        builder.Property(m => m.NotifyEmail).HasMaxLength(Mailbox.MaxNotifyLength);
        builder.Property(m => m.Status).HasConversion<string>().HasMaxLength(32);
        builder.Property(m => m.License).HasConversion<string>().HasMaxLength(16);
        builder.Property(m => m.RequestedPassKind).HasConversion<string>().HasMaxLength(16).HasDefaultValue(PassKind.Full);
        builder.Property(m => m.Version).IsConcurrencyToken();
        builder.Property(m => m.VerificationProblem).HasMaxLength(FailureReason.MaxDetailLength + 100);

        builder.Ignore(m => m.Failure);
        builder.Property<FailureKind?>("_failureKind").HasColumnName("FailureKind").HasConversion<string>().HasMaxLength(48);
        builder.Property<string?>("_failureDetail").HasColumnName("FailureDetail").HasMaxLength(FailureReason.MaxDetailLength);

        builder.HasMany(m => m.Events).WithOne().HasForeignKey(e => e.MailboxId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(m => m.Passes).WithOne().HasForeignKey(p => p.MailboxId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(m => m.CredentialRequests).WithOne().HasForeignKey(r => r.MailboxId).OnDelete(DeleteBehavior.Cascade);

        builder.Ignore(m => m.Label);
    }

    private static void Credentials(ComplexPropertyBuilder<MailboxCredentials> side)
    {
        side.Property(s => s.Email).HasMaxLength(MailboxCredentials.MaxEmailLength);
        side.Property(s => s.LoginName).HasMaxLength(MailboxCredentials.MaxLoginLength);
        // A password's ciphertext, or a signed-in user's grant (MSAL's token cache: several KB): unbounded.
        side.Property(s => s.ProtectedPassword);
        side.Ignore(s => s.IsKnown);
    }
}
