using System.Globalization;
using MigrationPortal.Core;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Cli.Arguments;

/// <summary>
/// <c>imaps://user@host:port</c> (TLS on connect, port 993 by default) or <c>imap://user@host:port</c> (STARTTLS, 143).
/// The login may contain '@', written as %40 or left as is: the last '@' separates it from the host.
/// </summary>
public sealed record ImapUrl(string Login, ImapEndpoint Endpoint)
{
    /// <param name="side">"source" or "destination", for the messages.</param>
    public static ImapUrl Parse(string text, string side)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (scheme, rest) = text.IndexOf("://", StringComparison.Ordinal) is var s and > 0
            ? (text[..s].ToLowerInvariant(), text[(s + 3)..])
            : throw new UsageException($"The {side} must be a URL such as imaps://user@mail.example.org (got '{text}').");
        var (security, defaultPort) = scheme switch
        {
            "imaps" => (TlsMode.Tls, 993),
            "imap" => (TlsMode.StartTls, 143),
            _ => throw new UsageException($"The {side}'s scheme must be imaps:// (TLS) or imap:// (STARTTLS), not '{scheme}://'."),
        };
        rest = rest.TrimEnd('/');
        var at = rest.LastIndexOf('@');
        if (at <= 0)
            throw new UsageException($"The {side} URL has no login: write it as {scheme}://user@host.");
        var userInfo = rest[..at];
        var hostPort = rest[(at + 1)..];
        // A password in the URL would sit in the shell history and the process list: refused, and not repeated.
        if (userInfo.Contains(':'))
            throw new UsageException(
                $"The {side} URL contains a password (user:password@host), which is not accepted. " +
                $"Give the password in {PasswordSource.VariableFor(side)} or type it at the prompt.");
        string login;
        try
        {
            login = Uri.UnescapeDataString(userInfo);
        }
        catch (UriFormatException)
        {
            throw new UsageException($"The {side} URL's login is not valid URL encoding.");
        }

        var (host, port) = SplitHostPort(hostPort, defaultPort, side);
        try
        {
            return new ImapUrl(login, new ImapEndpoint(host, port, security));
        }
        catch (DomainValidationException e)
        {
            throw new UsageException($"The {side}: {e.Message}");
        }
    }

    private static (string Host, int Port) SplitHostPort(string hostPort, int defaultPort, string side)
    {
        if (hostPort.Contains('/') || hostPort.Contains('?'))
            throw new UsageException($"The {side} URL must end with host[:port], without a path.");
        string host = hostPort;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            if (close < 0) throw new UsageException($"The {side} URL has an unclosed '[' in its host.");
            host = hostPort[1..close];
            if (close + 1 < hostPort.Length)
                port = hostPort[(close + 1)..] is [':', .. var p] ? p : throw new UsageException($"The {side} URL has text after its host.");
        }
        else if (hostPort.LastIndexOf(':') is var colon and >= 0)
        {
            host = hostPort[..colon];
            port = hostPort[(colon + 1)..];
        }
        if (host.Length == 0)
            throw new UsageException($"The {side} URL has no host.");
        if (port is null)
            return (host, defaultPort);
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535
            ? (host, number)
            : throw new UsageException($"The {side} URL's port '{port}' is not a number between 1 and 65535.");
    }

    public override string ToString() =>
        $"{(Endpoint.Security == TlsMode.Tls ? "imaps" : "imap")}://{Uri.EscapeDataString(Login)}@{Endpoint.Host}:{Endpoint.Port}";
}
