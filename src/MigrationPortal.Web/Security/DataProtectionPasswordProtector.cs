using Microsoft.AspNetCore.DataProtection;
using MigrationPortal.Core;

namespace MigrationPortal.Web.Security;

/// <summary>Mailbox passwords at rest, under their own purpose so no other protected payload can be swapped in for one.</summary>
internal sealed class DataProtectionPasswordProtector(IDataProtectionProvider provider) : IPasswordProtector
{
    public const string Purpose = "MigrationPortal.MailboxPasswords.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Protect(string password) => _protector.Protect(password);

    public string Unprotect(string protectedPassword) => _protector.Unprotect(protectedPassword);
}
