using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Verification;

public sealed class ImapCredentialVerifier : IImapCredentialVerifier
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly TimeSpan _timeout;

    /// <param name="timeout">Bounds the whole check (connect, TLS, login, logout); 15 s when null.</param>
    public ImapCredentialVerifier(TimeSpan? timeout = null)
    {
        _timeout = timeout ?? DefaultTimeout;
        if (_timeout <= TimeSpan.Zero || _timeout.TotalMilliseconds > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(timeout), _timeout, "The timeout must be positive and under 24 days.");
    }

    public async Task<CredentialCheckResult> VerifyAsync(ImapEndpoint endpoint, string login, string password, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(password);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        // Certificate validation is MailKit's default (system trust store, host name, revocation): left as is.
        using var client = new ImapClient { Timeout = (int)_timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(endpoint.Host, endpoint.Port, ToSocketOptions(endpoint.Security), deadline.Token);
            await AuthenticateOnceAsync(client, new NetworkCredential(login, password), deadline.Token);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (AuthenticationException e)
        {
            return new(CredentialCheckOutcome.Rejected, Redact(e.Message, password));
        }
        catch (Exception e) when (DescribeFailure(e, endpoint) is { } reason)
        {
            return new(CredentialCheckOutcome.Unreachable, Redact(reason, password));
        }
        await LogOutAsync(client, deadline.Token);
        return new(CredentialCheckOutcome.Accepted, null);
    }

    private static SecureSocketOptions ToSocketOptions(TlsMode security) => security switch
    {
        TlsMode.None => SecureSocketOptions.None,
        TlsMode.StartTls => SecureSocketOptions.StartTls,
        TlsMode.Tls => SecureSocketOptions.SslOnConnect,
        _ => throw new ArgumentOutOfRangeException(nameof(security), security, "Unknown TLS mode."),
    };

    // MailKit's AuthenticateAsync(credentials) tries each SASL mechanism both sides know and then the
    // LOGIN command, so one wrong password counts as two or three failures towards the server's lockout
    // and fail2ban limits. PLAIN, offered by nearly every server, is a single attempt and sends the
    // password's UTF-8 bytes exactly as typed (no SASLprep, no trimming).
    private static Task AuthenticateOnceAsync(ImapClient client, NetworkCredential credentials, CancellationToken ct) =>
        client.AuthenticationMechanisms.Contains("PLAIN")
            ? client.AuthenticateAsync(new SaslMechanismPlain(Encoding.UTF8, credentials), ct)
            : client.AuthenticateAsync(Encoding.UTF8, credentials, ct);

    // The verdict is in once the login succeeded: a failing LOGOUT does not change it.
    private static async Task LogOutAsync(ImapClient client, CancellationToken ct)
    {
        try
        {
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or ImapProtocolException or TimeoutException or OperationCanceledException)
        {
        }
    }

    /// <returns>Null for exceptions that are not about reaching the server: those are bugs and propagate.</returns>
    private string? DescribeFailure(Exception e, ImapEndpoint endpoint)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"{endpoint.Host}:{endpoint.Port}");
        return e switch
        {
            OperationCanceledException or TimeoutException =>
                string.Create(CultureInfo.InvariantCulture, $"{where} did not answer within {_timeout.TotalSeconds:0.#} s."),
            SslHandshakeException { ServerCertificate: not null } tls =>
                $"The TLS certificate of {where} was not accepted: {CertificateProblem(tls)}",
            SslHandshakeException tls =>
                $"The TLS handshake with {where} failed ({Innermost(tls).Message.TrimEnd('.')}). Check the port and the security mode.",
            SocketException socket => $"Could not connect to {where}: {socket.Message}.",
            NotSupportedException unsupported => $"{where}: {unsupported.Message}",
            ImapCommandException command => $"{where} refused the connection: {command.Message}",
            ImapProtocolException protocol => $"{where} did not answer like an IMAP server: {protocol.Message}",
            IOException io when io.InnerException is SocketException socket => $"The connection to {where} failed: {socket.Message}.",
            IOException io => $"The connection to {where} failed: {io.Message}",
            _ => null,
        };
    }

    // MailKit's message is a paragraph of advice; the reasons follow its first blank line.
    private static string CertificateProblem(SslHandshakeException e)
    {
        var paragraphs = e.Message.Split(["\r\n\r\n", "\n\n"], 2, StringSplitOptions.None);
        var reasons = paragraphs.Length == 2 ? paragraphs[1] : Innermost(e).Message;
        var oneLine = string.Join(' ', reasons.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return oneLine.Length <= 300 ? oneLine : oneLine[..300] + "…";
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    // Belt and braces: no message above is built from the password, but a server may echo odd things.
    private static string Redact(string message, string password) =>
        string.IsNullOrWhiteSpace(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);
}
