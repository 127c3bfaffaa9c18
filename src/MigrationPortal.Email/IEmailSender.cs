using MimeKit;

namespace MigrationPortal.Email;

public interface IEmailSender
{
    /// <summary>Delivers a message the caller composed; a message without From gets the configured one.</summary>
    /// <exception cref="EmailDeliveryException">The message could not be handed over; the message says why, in the server's words where there was an answer.</exception>
    Task SendAsync(MimeMessage message, CancellationToken ct);
}
