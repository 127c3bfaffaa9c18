using System.ComponentModel.DataAnnotations;
using MigrationPortal.Email;

namespace MigrationPortal.Web.Forms;

/// <summary>
/// An address the credential email can go to exactly as written (<see cref="CredentialRequestEmail.CanSendTo"/>): the
/// data annotation's own check accepts "user(comment@example.org", which a mail program reads as another address or none,
/// and Start would then have to refuse the mailbox. Refused where it is typed instead, saying why.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SendableAddressAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is not string { Length: > 0 } address || CredentialRequestEmail.CanSendTo(address.Trim())
            ? ValidationResult.Success
            : new ValidationResult(CredentialRequestEmail.CannotSendTo(address.Trim()), [validationContext.MemberName!]);
}
