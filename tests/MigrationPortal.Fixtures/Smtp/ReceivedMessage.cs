using MimeKit;

namespace MigrationPortal.Fixtures.Smtp;

/// <summary>One message as the sink received it: the parsed MIME plus the SMTP envelope, which can differ from the headers (Bcc).</summary>
public sealed record ReceivedMessage(
    MimeMessage Message,
    string EnvelopeFrom,
    IReadOnlyList<string> EnvelopeRecipients,
    string? AuthenticatedUser,
    Guid SessionId)
{
    public string Subject => Message.Subject ?? "";

    public override string ToString() =>
        $"'{Subject}' from <{EnvelopeFrom}> to {string.Join(", ", EnvelopeRecipients.Select(r => $"<{r}>"))}";
}
