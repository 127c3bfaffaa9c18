using System.ComponentModel.DataAnnotations;
using MigrationPortal.Core;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>A pin field: blank, or a SHA-256 fingerprint as <see cref="ImapEndpoint"/> accepts it; the message is the domain's, shown at the field.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class CertificateSha256Attribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        try
        {
            ImapEndpoint.NormaliseCertificateSha256(value as string);
            return ValidationResult.Success;
        }
        catch (DomainValidationException e)
        {
            return new ValidationResult($"{validationContext.DisplayName}: {e.Message}", validationContext.MemberName is { } member ? [member] : null);
        }
    }
}
