namespace MigrationPortal.Email;

/// <summary>A message could not be delivered. The message is meant to be stored as-is by an outbox and shown to an admin.</summary>
public sealed class EmailDeliveryException : Exception
{
    public EmailDeliveryException(string endpoint, string message, int? statusCode, Exception? innerException)
        : base(message, innerException)
    {
        Endpoint = endpoint;
        StatusCode = statusCode;
    }

    /// <summary>host:port for SMTP, the folder for the pickup directory.</summary>
    public string Endpoint { get; }

    /// <summary>The SMTP reply code when the server answered (4xx: try again later, 5xx: it will not change by itself); null when there was no answer.</summary>
    public int? StatusCode { get; }
}
