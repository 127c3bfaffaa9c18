using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Imap;

/// <summary>How a login proves itself: a password, or an OAuth 2.0 access token in one of the two SASL framings servers offer.</summary>
public enum ImapAuthMechanism
{
    /// <summary>AUTHENTICATE PLAIN when offered, else LOGIN.</summary>
    Password = 0,

    /// <summary>SASL XOAUTH2, as Google and Microsoft 365 define it.</summary>
    XOAuth2 = 1,

    /// <summary>SASL OAUTHBEARER (RFC 7628).</summary>
    OAuthBearer = 2,
}

/// <summary>A login for one side, in clear only for as long as the connection is being opened.</summary>
public sealed record ImapLogin(string Login, string Password)
{
    /// <summary>Password by default: every login made before tokens existed keeps meaning what it meant.</summary>
    public ImapAuthMechanism Mechanism { get; init; }

    public bool IsBearer => Mechanism != ImapAuthMechanism.Password;

    /// <summary>
    /// A login with an OAuth 2.0 access token. The token is held in <see cref="Password"/> on purpose: every place that
    /// keeps a password out of a message (the connector's and the APPEND writer's redaction, NUL checks) then keeps the
    /// token out as well, with no second path to forget.
    /// </summary>
    public static ImapLogin Bearer(string user, string accessToken, ImapAuthMechanism mechanism)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        if (mechanism == ImapAuthMechanism.Password)
            throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "A bearer login needs XOAuth2 or OAuthBearer.");
        return new ImapLogin(user, accessToken) { Mechanism = mechanism };
    }

    /// <summary>The IMAP/SASL name of a token mechanism, as servers list it after AUTH=.</summary>
    public static string SaslName(ImapAuthMechanism mechanism) => mechanism switch
    {
        ImapAuthMechanism.XOAuth2 => "XOAUTH2",
        ImapAuthMechanism.OAuthBearer => "OAUTHBEARER",
        _ => throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "Not a token mechanism."),
    };

    // A record prints every property: a login logged by mistake must not print its password or token.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Login = ").Append(Login).Append(", Mechanism = ").Append(Mechanism);
        return true;
    }
}

public enum ImapConnectFailure
{
    /// <summary>The server was reached and refused the login or password (or the portal did: one IMAP cannot carry).</summary>
    Rejected,

    /// <summary>No connection, no answer in time, TLS or protocol failure.</summary>
    Unreachable,
}

/// <summary>
/// Opening a connection failed. <see cref="Exception.Message"/> is fit for the person who typed the credentials and
/// for the admin (host:port and the server's or socket's words), and never contains the password.
/// </summary>
public sealed class ImapConnectException(ImapConnectFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public ImapConnectFailure Failure { get; } = failure;
}

/// <summary>An authenticated connection. Disposing it logs out; a failing LOGOUT is of no consequence.</summary>
public sealed class ImapSession(ImapClient client, TimeSpan timeout) : IAsyncDisposable
{
    /// <summary>The store, as MailKit's interface, so a pass can be tested against something other than a server.</summary>
    public IMailStore Store => client;
    public ImapCapabilities Capabilities => client.Capabilities;

    /// <summary>The last throttling answer the server sent on this connection, in its words (see <see cref="ThrottleWatcher"/>); null: none.</summary>
    public string? LastThrottling => (client as PooledImapClient)?.Watcher.LastThrottling;

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            if (client.IsConnected) await client.DisconnectAsync(quit: true, deadline.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ImapProtocolException or TimeoutException or OperationCanceledException)
        {
        }
        client.Dispose();
    }
}

public interface IImapConnector
{
    /// <summary>Connects (with the endpoint's TLS mode), logs in once, and hands back the session.</summary>
    /// <exception cref="ImapConnectException">Refused or unreachable; only cancelling <paramref name="ct"/> throws otherwise.</exception>
    Task<ImapSession> ConnectAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct);

    /// <summary>Opens the destination's data path: a connection that appends the source's exact bytes.</summary>
    /// <exception cref="ImapConnectException">Refused or unreachable.</exception>
    Task<AppendWriter> ConnectAppendWriterAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct);
}

/// <summary>
/// The one place that opens an IMAP connection, for credential checks and migration alike: TLS as the endpoint says
/// (certificates validated by <see cref="ServerCertificates"/>: the system's trust store, host name and revocation, or
/// exactly the pinned certificate; STARTTLS never falls back to plain text), one login attempt, and the wording of
/// every failure.
/// </summary>
public sealed class ImapConnector : IImapConnector
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    /// <param name="timeout">Bounds connecting and logging in, and each later command; 15 s when null.</param>
    public ImapConnector(TimeSpan? timeout = null)
    {
        Timeout = timeout ?? DefaultTimeout;
        if (Timeout <= TimeSpan.Zero || Timeout.TotalMilliseconds > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(timeout), Timeout, "The timeout must be positive and under 24 days.");
    }

    public TimeSpan Timeout { get; }

    public async Task<ImapSession> ConnectAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(login);
        return new ImapSession(await OpenAsync(endpoint, login, ct), Timeout);
    }

    /// <summary>
    /// Connects exactly as <see cref="ConnectAsync"/> does (the endpoint's TLS mode, its certificate rule, the same
    /// wording of every failure) and logs out without logging in: whether an endpoint is there and speaks IMAP, for
    /// an admin choosing server settings before any login is known.
    /// </summary>
    /// <returns>What the server offers once connected (after STARTTLS when the endpoint uses it).</returns>
    /// <exception cref="ImapConnectException">Unreachable (never <see cref="ImapConnectFailure.Rejected"/>: nothing is sent to refuse).</exception>
    public async Task<ImapCapabilities> ProbeAsync(ImapEndpoint endpoint, CancellationToken ct)
    {
        var client = await OpenAsync(endpoint, login: null, ct);
        var capabilities = client.Capabilities;
        await new ImapSession(client, Timeout).DisposeAsync();
        return capabilities;
    }

    /// <param name="login">Null: connect only.</param>
    private async Task<ImapClient> OpenAsync(ImapEndpoint endpoint, ImapLogin? login, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (login is not null)
            RefuseNul(login);
        var password = login?.Password ?? "";

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        var client = new PooledImapClient(new ThrottleWatcher()) { Timeout = (int)Timeout.TotalMilliseconds };
        var certificates = new CertificateCheck(endpoint);
        client.ServerCertificateValidationCallback = certificates.Validate;
        try
        {
            await client.ConnectAsync(endpoint.Host, endpoint.Port, ToSocketOptions(endpoint.Security), deadline.Token);
            if (login is { IsBearer: true })
                await AuthenticateWithTokenAsync(client, login, endpoint, deadline.Token);
            else if (login is not null)
                await AuthenticateOnceAsync(client, new NetworkCredential(login.Login, login.Password), deadline.Token);
            return client;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            client.Dispose();
            throw;
        }
        catch (AuthenticationException e)
        {
            client.Dispose();
            throw new ImapConnectException(ImapConnectFailure.Rejected, Redact(e.Message, password));
        }
        catch (Exception e) when (DescribeFailure(e, endpoint, certificates.Refusal) is { } reason)
        {
            client.Dispose();
            throw new ImapConnectException(ImapConnectFailure.Unreachable, Redact(reason, password));
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public Task<AppendWriter> ConnectAppendWriterAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(login);
        var certificates = new CertificateCheck(endpoint);
        return ConnectWriterAsync();

        async Task<AppendWriter> ConnectWriterAsync()
        {
            RefuseNul(login);
            try
            {
                return await AppendWriter.ConnectAsync(endpoint, login, Timeout, certificates.Validate, ct);
            }
            catch (ImapConnectException e) when (certificates.Refusal is { } refusal)
            {
                // Worded as the MailKit connection's refusal (DescribeFailure): which server, then why.
                var where = string.Create(CultureInfo.InvariantCulture, $"{endpoint.Host}:{endpoint.Port}");
                throw new ImapConnectException(ImapConnectFailure.Unreachable, $"The TLS certificate of {where} was not accepted. {refusal}", e);
            }
        }
    }

    /// <summary>
    /// The endpoint's certificate rule for one connection. MailKit's own message for a refused certificate cannot tell
    /// a pin that did not match from a certificate the system does not trust, and does not show the fingerprint: the
    /// refusal is worded here while the certificate is at hand.
    /// </summary>
    private sealed class CertificateCheck(ImapEndpoint endpoint)
    {
        private readonly RemoteCertificateValidationCallback _validate = ServerCertificates.For(endpoint);

        public string? Refusal { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (_validate(sender, certificate, chain, errors))
                return true;
            Refusal = ServerCertificates.DescribeRefusal(certificate, errors, endpoint);
            return false;
        }
    }

    /// <summary>
    /// IMAP cannot carry a NUL in a login or password: a literal may not hold one (RFC 3501's CHAR8), and in AUTHENTICATE
    /// PLAIN it separates the fields. Sent anyway, the value is not the one typed: Dovecot reads a LOGIN literal up to the
    /// NUL, so "secret\0anything" was accepted as "secret" (see ImapLoginInjectionTests). Refused before connecting, as
    /// a refused login: the verdict is about the value as typed, and no server counts a failed login for it.
    /// </summary>
    private static void RefuseNul(ImapLogin login)
    {
        if (login.Login.Contains('\0', StringComparison.Ordinal) || login.Password.Contains('\0', StringComparison.Ordinal))
            throw new ImapConnectException(ImapConnectFailure.Rejected,
                "The login name or password contains a NUL character, which IMAP cannot carry; nothing was sent to the server.");
        // XOAUTH2 and OAUTHBEARER separate their fields with ^A, and a bearer token is printable ASCII without spaces
        // (RFC 6750's b64token): anything else would change what the server reads, so it is refused the same way.
        if (login.IsBearer && (login.Login.Any(char.IsControl) || !login.Password.All(c => c is > ' ' and < '\x7f')))
            throw new ImapConnectException(ImapConnectFailure.Rejected,
                "The login name contains a control character or the access token is not a bearer token (printable ASCII without spaces); nothing was sent to the server.");
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

    // One attempt with exactly the mechanism asked for, through MailKit's own SASL classes. A server that does not list
    // it would only answer "unknown mechanism" after the token went out: nothing is sent, and the admin is told which
    // mechanism is missing (a server set up for passwords only is a wrong endpoint, not a wrong login).
    private static Task AuthenticateWithTokenAsync(ImapClient client, ImapLogin login, ImapEndpoint endpoint, CancellationToken ct)
    {
        var name = ImapLogin.SaslName(login.Mechanism);
        if (!client.AuthenticationMechanisms.Contains(name))
            throw new ImapConnectException(ImapConnectFailure.Unreachable, string.Create(CultureInfo.InvariantCulture,
                $"{endpoint.Host}:{endpoint.Port} does not offer AUTH={name}, so the portal closed the connection without sending the access token. " +
                $"It offers: {Offered(client.AuthenticationMechanisms)}."));
        var credentials = new NetworkCredential(login.Login, login.Password);
        SaslMechanism mechanism = login.Mechanism == ImapAuthMechanism.XOAuth2
            ? new SaslMechanismOAuth2(credentials)
            : new SaslMechanismOAuthBearer(credentials);
        return client.AuthenticateAsync(mechanism, ct);

        static string Offered(HashSet<string> mechanisms) =>
            mechanisms.Count == 0 ? "no SASL mechanism" : string.Join(", ", mechanisms.Order(StringComparer.Ordinal).Select(m => "AUTH=" + m));
    }

    /// <returns>Null for exceptions that are not about reaching the server: those are bugs and propagate.</returns>
    /// <param name="refusal">Why the certificate was refused, when it was.</param>
    private string? DescribeFailure(Exception e, ImapEndpoint endpoint, string? refusal)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"{endpoint.Host}:{endpoint.Port}");
        return e switch
        {
            OperationCanceledException or TimeoutException =>
                string.Create(CultureInfo.InvariantCulture, $"{where} did not answer within {Timeout.TotalSeconds:0.#} s."),
            SslHandshakeException when refusal is not null =>
                $"The TLS certificate of {where} was not accepted. {refusal}",
            SslHandshakeException { ServerCertificate: not null } tls =>
                $"The TLS certificate of {where} was not accepted: {CertificateProblem(tls)}",
            SslHandshakeException tls =>
                $"The TLS handshake with {where} failed ({Innermost(tls).Message.TrimEnd('.')}). Check the port and the security mode.",
            SocketException socket => $"Could not connect to {where}: {socket.Message}.",
            // MailKit checks the capabilities before anything else is sent: the login never went out in plain text.
            NotSupportedException when endpoint.Security == TlsMode.StartTls =>
                $"{where} does not offer STARTTLS, so the portal closed the connection without sending the login. " +
                "Choose TLS if the server has an implicit-TLS port (usually 993), or have STARTTLS enabled on the server.",
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
