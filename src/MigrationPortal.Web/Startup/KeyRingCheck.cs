using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Data;
using MigrationPortal.Data.Mailboxes;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Web.Outbox;
using MigrationPortal.Web.Security.TwoFactor;

namespace MigrationPortal.Web.Startup;

/// <summary>
/// At start-up, before any request: can this key ring read what the database holds encrypted? If the DataProtection
/// keys were lost (a database restored without its key ring table, another key ring certificate, the keys deleted),
/// DataProtection would silently make a new key, and then every stored password, queued email and emailed link fails
/// the moment it is used: 500s on Verify Credentials and on the user's correct submission, emails failed for good, a
/// mailbox queued for a pass that cannot log in. Instead the portal refuses to start, saying what is unreadable and what
/// to do; with <c>DataProtection:AcceptLostKeys=true</c> it starts, clears what cannot be read and fails the items
/// that needed it (<see cref="Core.Mailboxes.Mailbox.LoseEncryptedSecrets"/>), so each can be started again.
/// </summary>
internal sealed partial class KeyRingCheck(
    PortalDbContext db,
    IPasswordProtector passwords,
    OutboxQueue outbox,
    IKeyManager keys,
    IDataProtectionProvider protection,
    MailboxUnitOfWork unitOfWork,
    IConfiguration configuration,
    Security.AuditLog audit,
    ILogger<KeyRingCheck> logger)
{
    public const string AcceptSetting = "DataProtection:AcceptLostKeys";
    public const string Actor = "start-up (encryption keys lost)";

    public async Task RunAsync(CancellationToken ct)
    {
        // Read before anything is decrypted: a first Unprotect on an empty ring makes a new key.
        var ringWasEmpty = !keys.GetAllKeys().Any();

        // Mailboxes whose stored passwords this key ring cannot decrypt, per side.
        var stored = await db.Mailboxes.AsNoTracking()
            .Where(m => m.Source.ProtectedPassword != null || m.Destination.ProtectedPassword != null)
            .Select(m => new { m.Id, Source = m.Source.ProtectedPassword, Destination = m.Destination.ProtectedPassword })
            .ToListAsync(ct);
        var unreadablePasswords = stored
            .Select(m => (m.Id, Source: m.Source is { } s && !CanRead(s), Destination: m.Destination is { } d && !CanRead(d)))
            .Where(m => m.Source || m.Destination)
            .ToDictionary(m => m.Id, m => (m.Source, m.Destination));

        var pending = await db.OutboxMessages.Where(m => m.State == OutboxState.Pending).ToListAsync(ct);
        var unreadableEmails = pending.Where(m => !CanRead(m)).ToList();

        // A link proves itself by a hash of its nonce; its token is kept only encrypted (for reminders), with the same
        // keys. So when the keys are gone, every link still open was made with them. This check runs before this process
        // protects anything, so no open link can have been made with a key created since.
        var openRequests = await db.CredentialRequests.AsNoTracking()
            .Where(r => r.State == CredentialRequestState.Pending || r.State == CredentialRequestState.Verifying)
            .Select(r => r.MailboxId)
            .ToListAsync(ct);
        // Admins whose authenticator key or recovery codes cannot be read could never pass their second step again.
        var twoFactor = protection.CreateProtector(ProtectedTokenUserStore.Purpose);
        var secrets = await db.UserTokens.Where(t => t.LoginProvider == ProtectedTokenUserStore.InternalLoginProvider).ToListAsync(ct);
        var lockedOutAdmins = secrets.Where(t => t.Value is { } v && !CanRead(twoFactor, v)).Select(t => t.UserId).ToHashSet();

        var keysLost = unreadablePasswords.Count > 0 || unreadableEmails.Count > 0 || lockedOutAdmins.Count > 0
                       || (ringWasEmpty && openRequests.Count > 0);
        var deadLinks = keysLost ? openRequests.ToHashSet() : [];

        if (!keysLost) return;

        var what = $"{unreadablePasswords.Count} mailboxes' stored passwords, {deadLinks.Count} emailed credential links and "
                   + $"{unreadableEmails.Count} queued emails"
                   + (lockedOutAdmins.Count > 0 ? $", and {lockedOutAdmins.Count} admin accounts' two-factor secrets," : "")
                   + " were encrypted with DataProtection keys this portal no longer has";
        if (!string.Equals(configuration[AcceptSetting], "true", StringComparison.OrdinalIgnoreCase))
        {
            var message = what + ": the key ring in the database was lost or replaced, or DataProtection:CertificatePath names another "
                          + "certificate. Restore the key ring (and its certificate) and start again. To go on without it, start once with "
                          + $"{AcceptSetting}=true: those passwords are then cleared, the emails cancelled, and the mailboxes that needed "
                          + "them Failed, to be started again (which asks their users for credentials); admins whose two-factor secrets are "
                          + "lost sign in with their password alone and set up their app again.";
            LogRefused(logger, message);
            throw new InvalidOperationException(message);
        }

        LogAccepted(logger, what);
        await audit.RecordAsync("Encryption keys lost", null, what + "; cleared and failed (DataProtection:AcceptLostKeys)", ct, actor: Actor);
        foreach (var message in unreadableEmails)
            message.Cancel("Not sent: it was encrypted with keys the portal lost. Start its mailbox again to send a new link.");
        // Two-factor off for them, their unreadable secrets removed, and every session of theirs ended.
        db.UserTokens.RemoveRange(secrets.Where(t => lockedOutAdmins.Contains(t.UserId)));
        foreach (var account in await db.Users.Where(u => lockedOutAdmins.Contains(u.Id)).ToListAsync(ct))
        {
            account.TwoFactorEnabled = false;
            account.SecurityStamp = Guid.NewGuid().ToString("N").ToUpperInvariant();
            account.ConcurrencyStamp = Guid.NewGuid().ToString();
            await audit.RecordAsync("Two-factor sign-in turned off", null, $"for {account.Email}: its secrets were encrypted with the lost keys", ct, actor: Actor);
        }
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        foreach (var id in unreadablePasswords.Keys.Union(deadLinks).Order())
        {
            var (source, destination) = unreadablePasswords.GetValueOrDefault(id);
            await unitOfWork.RunAsync(id, null, async (work, token) =>
            {
                work.Mailbox.LoseEncryptedSecrets(source, destination, work.Licenses, Actor, work.Now);
                // Emails of this mailbox still waiting would carry a link that no longer opens.
                foreach (var unsent in await work.Db.OutboxMessages.Where(m => m.MailboxId == id && m.State == OutboxState.Pending).ToListAsync(token))
                    unsent.Cancel("Not sent: its link was made with keys the portal lost. Start its mailbox again to send a new link.");
            }, ct);
        }
    }

    private bool CanRead(string protectedPassword)
    {
        try
        {
            passwords.Unprotect(protectedPassword);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool CanRead(IDataProtector protector, string protectedValue)
    {
        try
        {
            protector.Unprotect(protectedValue);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private bool CanRead(OutboxMessage message)
    {
        if (message.ProtectedContent is null) return true;
        try
        {
            outbox.Read(message);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Not starting: {Message}")]
    private static partial void LogRefused(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What}; going on without them (DataProtection:AcceptLostKeys): clearing what cannot be read and failing the mailboxes that needed it")]
    private static partial void LogAccepted(ILogger logger, string what);
}
