namespace MigrationPortal.Core;

/// <summary>Turns mailbox passwords into ciphertext that only the portal's key ring can read.</summary>
public interface IPasswordProtector
{
    string Protect(string password);
    string Unprotect(string protectedPassword);
}
