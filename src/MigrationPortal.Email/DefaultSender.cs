using MimeKit;

namespace MigrationPortal.Email;

internal static class DefaultSender
{
    public static void ApplyTo(MimeMessage message, string from)
    {
        if (message.From.Count == 0)
        {
            message.From.Add(MailboxAddress.Parse(from));
        }
    }
}
