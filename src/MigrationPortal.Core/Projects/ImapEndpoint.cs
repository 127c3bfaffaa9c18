namespace MigrationPortal.Core.Projects;

public enum TlsMode
{
    None = 0,
    StartTls = 1,
    Tls = 2,
}

/// <summary>Where one side of a migration lives: an IMAP server reachable from the portal.</summary>
public sealed record ImapEndpoint
{
    public const int MaxHostLength = 253;

    public ImapEndpoint(string host, int port, TlsMode security)
    {
        host = host?.Trim() ?? "";
        if (host.Length == 0)
            throw new DomainValidationException("The IMAP host is required.");
        if (host.Length > MaxHostLength || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '/'))
            throw new DomainValidationException($"'{host}' is not a valid host name.");
        if (port is < 1 or > 65535)
            throw new DomainValidationException("The IMAP port must be between 1 and 65535.");
        if (!Enum.IsDefined(security))
            throw new DomainValidationException("Unknown TLS mode.");
        Host = host;
        Port = port;
        Security = security;
    }

    private ImapEndpoint() { Host = ""; }

    public string Host { get; private init; }
    public int Port { get; private init; }
    public TlsMode Security { get; private init; }

    public override string ToString() => $"{Host}:{Port} ({Security})";
}
