using Microsoft.AspNetCore.DataProtection;
using MigrationPortal.Data;
using MigrationPortal.Data.Outbox;
using MimeKit;

namespace MigrationPortal.Web.Outbox;

/// <summary>
/// Puts emails into the outbox table as part of the caller's unit of work, and wakes the sender after the caller
/// committed. The MIME content carries a one-time link, so it is stored protected, under its own purpose.
/// </summary>
public sealed class OutboxQueue(IDataProtectionProvider provider, OutboxSignal signal, TimeProvider time)
{
    public const string Purpose = "MigrationPortal.Outbox.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public OutboxMessage Add(PortalDbContext db, int? mailboxId, MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        var protectedContent = Convert.ToBase64String(_protector.Protect(buffer.ToArray()));
        var entry = new OutboxMessage(mailboxId, message.To.ToString(), message.Subject ?? "", protectedContent, time.GetUtcNow());
        db.OutboxMessages.Add(entry);
        return entry;
    }

    public MimeMessage Read(OutboxMessage entry)
    {
        var bytes = _protector.Unprotect(Convert.FromBase64String(entry.ProtectedContent
            ?? throw new InvalidOperationException($"Outbox message {entry.Id} has no content left to send.")));
        using var buffer = new MemoryStream(bytes);
        return MimeMessage.Load(buffer);
    }

    /// <summary>Call after the transaction that added messages committed.</summary>
    public void Wake() => signal.Notify();
}

/// <summary>Lets a request that queued mail wake the sender at once instead of at its next poll.</summary>
public sealed class OutboxSignal : Worker.WakeSignal;
