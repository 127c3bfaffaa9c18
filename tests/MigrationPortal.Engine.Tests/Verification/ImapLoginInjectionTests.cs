using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Verification;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Verification;

/// <summary>A Dovecot server, and the same server behind a relay that hides its SASL mechanisms.</summary>
public sealed class DovecotWithoutSasl : IAsyncLifetime
{
    public DovecotServer Server { get; } = new();
    public AuthHidingRelay Relay { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        Relay = new AuthHidingRelay(Server.Host, Server.Port);
    }

    public async Task DisposeAsync()
    {
        await Relay.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// Login names and passwords are typed by mailbox users and admins: whatever IMAP syntax they hold (quotes, backslashes,
/// literal announcements, CR/LF followed by a command) must reach the server as the one value it is, never as protocol.
/// </summary>
/// <remarks>
/// Why it holds. Both connections a pass opens (MailKit's, <see cref="ImapConnector"/>, and the engine's own APPEND
/// writer, <see cref="AppendWriter"/>) log in with AUTHENTICATE PLAIN when the server offers it, as Dovecot does: the
/// login and password travel base64-encoded inside the SASL response (RFC 4616), so a CR, LF, quote or brace in them is
/// only a byte of that payload and cannot end the command line. Without AUTH=PLAIN both use the LOGIN command: MailKit
/// sends a value as an atom, as a quoted string with '"' and '\' escaped, or, when it holds a control character or
/// non-ASCII, as a literal; <c>AppendWriter.WriteStringAsync</c> quotes only printable ASCII without '"' and '\' and sends
/// everything else as a literal ({n} and exactly n UTF-8 bytes), which the server reads by length, not by syntax. Only a
/// NUL cannot be carried either way, and <see cref="ImapConnector"/> refuses it before connecting.
/// The LOGIN route is tested here through <see cref="AuthHidingRelay"/>, because Dovecot always offers AUTH=PLAIN when
/// it allows LOGIN at all. Dovecot adds its own checks (a login outside auth_username_chars, a password with a control
/// character, are refused before the passdb is asked), so a smuggled command is also refused by the server; the tests
/// look at the outcome and at the mailbox, which a command that ran would have changed.
/// </remarks>
public sealed class ImapLoginInjectionTests(DovecotWithoutSasl servers) : IClassFixture<DovecotWithoutSasl>
{
    private const string Password = "pass-Word-1";

    /// <summary>Which code sends the login: MailKit or the APPEND writer, with AUTHENTICATE PLAIN or the LOGIN command.</summary>
    public enum Route
    {
        VerifierSaslPlain,
        VerifierLoginCommand,
        AppendWriterSaslPlain,
        AppendWriterLoginCommand,
    }

    // Each password holds IMAP syntax. Each near miss is one that a client which sent the value as syntax (unescaped,
    // unquoted) would turn into the right password on the server's side, e.g. "quote\"inside" quoted without escaping
    // reads as quote"inside: so a near miss accepted means the value was not sent as the one string it is.
    // Dovecot refuses every password with a control character ("Attempted login with password having illegal chars",
    // whatever the passdb holds: tried as {PLAIN.B64} and {SHA256} in its passwd-file), so "pa\r\nss" cannot be a password
    // there; CR/LF in a password is tested below as a smuggled command, which must be refused.
    public static TheoryData<Route, string, string> PasswordsAndNearMisses()
    {
        var data = new TheoryData<Route, string, string>();
        (string Password, string NearMiss)[] cases =
        [
            ("quote\"inside", "quote\\\"inside"),
            ("back\\slash", "back\\\\slash"),
            ("{5}", "{4}"),
            ("lit{5}\\", "lit{5}"),
            ("two words", "twowords"),
            ("star*percent%", "star*percent"),
            ("\"\\{5} *", "\"\\{5}*"),
            ("Pässwörd 密码 🔑", "Passwörd 密码 🔑"),
        ];
        foreach (var route in Enum.GetValues<Route>())
            foreach (var (password, nearMiss) in cases)
                data.Add(route, password, nearMiss);
        return data;
    }

    public static TheoryData<Route> Routes() => new(Enum.GetValues<Route>());

    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Theory]
    [MemberData(nameof(PasswordsAndNearMisses))]
    public async Task Login_PasswordWithImapSyntax_AcceptedByteExactAndNearMissRejected(Route route, string password, string nearMiss)
    {
        var user = "inj" + Guid.NewGuid().ToString("N")[..10];
        await servers.Server.AddUserAsync(user, password);

        Assert.Equal(CredentialCheckOutcome.Accepted, await LoginAsync(route, user, password));
        Assert.Equal(CredentialCheckOutcome.Rejected, await LoginAsync(route, user, nearMiss));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Login_LoginNameWithCrLfAndCommand_RejectedAndTheCommandNeverRuns(Route route)
    {
        var user = await UserWithCanaryAsync();
        string[] hostileLogins =
        [
            $"{user}\r\nX1 DELETE Canary",
            // What a client that quotes without escaping would turn into a full login followed by a DELETE:
            // LOGIN "user" "pass"␍␊X1 DELETE Canary␍␊X2 NOOP "" "…"
            $"{user}\" \"{Password}\"\r\nX1 DELETE Canary\r\nX2 NOOP \"",
            // The same for a client that sends the values as atoms: LOGIN user pass␍␊X1 DELETE Canary␍␊X2 NOOP …
            $"{user} {Password}\r\nX1 DELETE Canary\r\nX2 NOOP",
            // A literal announced inside the value: a client that copied it into the line would send the server a {5}.
            $"{user} {{5}}\r\nX1 DELETE Canary",
            $"{user}\"",
        ];

        var outcomes = new List<CredentialCheckOutcome>();
        foreach (var login in hostileLogins)
            outcomes.Add(await LoginAsync(route, login, Password));

        // The mailbox first: had a command been smuggled, this is where it shows (the folder gone), whatever the verdict.
        await AssertCanaryIntactAsync(user);
        Assert.All(outcomes, outcome => Assert.Equal(CredentialCheckOutcome.Rejected, outcome));
        Assert.Equal(CredentialCheckOutcome.Accepted, await LoginAsync(route, user, Password));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Login_PasswordWithCrLfAndCommand_RejectedAndTheCommandNeverRuns(Route route)
    {
        var user = await UserWithCanaryAsync();
        string[] hostilePasswords =
        [
            $"{Password}\r\nX1 DELETE Canary",
            $"{Password}\"\r\nX1 DELETE Canary\r\nX2 NOOP \"",
            $"{Password}\r\nX1 DELETE Canary\r\nX2 NOOP",
            $"{Password} {{5}}\r\nX1 DELETE Canary",
        ];

        var outcomes = new List<CredentialCheckOutcome>();
        foreach (var password in hostilePasswords)
            outcomes.Add(await LoginAsync(route, user, password));

        await AssertCanaryIntactAsync(user);
        Assert.All(outcomes, outcome => Assert.Equal(CredentialCheckOutcome.Rejected, outcome));
    }

    /// <summary>
    /// A NUL cannot travel in IMAP (not in a literal, and in SASL PLAIN it separates the fields): the LOGIN command routes
    /// sent it anyway, and Dovecot, reading the literal up to the NUL, accepted "password\0anything" as the password.
    /// </summary>
    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Login_NulInLoginOrPassword_RejectedBeforeSending(Route route)
    {
        var user = await UserWithCanaryAsync();

        // The login field carrying the password after a NUL, and the right password with a tail after one.
        var loginCarriesPassword = await LoginWithMessageAsync(route, $"{user}\0{Password}", "wrong");
        var passwordWithTail = await LoginWithMessageAsync(route, user, $"{Password}\0wrong");

        Assert.Equal(CredentialCheckOutcome.Rejected, loginCarriesPassword.Outcome);
        Assert.Equal(CredentialCheckOutcome.Rejected, passwordWithTail.Outcome);
        Assert.Contains("NUL", loginCarriesPassword.Message, StringComparison.Ordinal);
        Assert.Contains("NUL", passwordWithTail.Message, StringComparison.Ordinal);
    }

    /// <summary>Logs in along the route: the verifier's verdict, or the APPEND writer's (which has none of its own).</summary>
    private async Task<CredentialCheckOutcome> LoginAsync(Route route, string login, string password) =>
        (await LoginWithMessageAsync(route, login, password)).Outcome;

    private async Task<(CredentialCheckOutcome Outcome, string? Message)> LoginWithMessageAsync(Route route, string login, string password)
    {
        var (host, port) = route is Route.VerifierLoginCommand or Route.AppendWriterLoginCommand
            ? (servers.Relay.Host, servers.Relay.Port)
            : (servers.Server.Host, servers.Server.Port);
        var endpoint = new ImapEndpoint(host, port, TlsMode.None);
        // Through the relay only once it has really hidden AUTH=PLAIN: otherwise the LOGIN route would test nothing.
        if (port == servers.Relay.Port) await servers.Relay.WarmUpAsync();
        if (route is Route.VerifierSaslPlain or Route.VerifierLoginCommand)
        {
            var result = await new ImapCredentialVerifier(_connector).VerifyAsync(endpoint, login, password, CancellationToken.None);
            // Refusals must read as refusals, never as an odd server: Unreachable would send the user to check the host.
            Assert.NotEqual(CredentialCheckOutcome.Unreachable, result.Outcome);
            return (result.Outcome, result.ServerMessage);
        }
        try
        {
            await using var writer = await _connector.ConnectAppendWriterAsync(endpoint, new ImapLogin(login, password), CancellationToken.None);
            return (CredentialCheckOutcome.Accepted, null);
        }
        catch (ImapConnectException e)
        {
            Assert.Equal(ImapConnectFailure.Rejected, e.Failure);
            return (CredentialCheckOutcome.Rejected, e.Message);
        }
    }

    /// <summary>A user with two messages in INBOX and one in "Canary": the folder a smuggled DELETE would remove.</summary>
    private async Task<string> UserWithCanaryAsync()
    {
        var user = "inj" + Guid.NewGuid().ToString("N")[..10];
        await servers.Server.AddUserAsync(user, Password);
        foreach (var (folder, subject) in new[] { ("INBOX", "one"), ("INBOX", "two"), ("Canary", "canary") })
        {
            var message = new MimeMessage { Subject = subject };
            message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
            message.Body = new TextPart("plain") { Text = "Body\r\n" };
            await servers.Server.AppendMessageAsync(user, Password, folder, message);
        }
        return user;
    }

    private async Task AssertCanaryIntactAsync(string user)
    {
        // Straight to Dovecot, not through the relay or the engine.
        using var client = new ImapClient();
        await client.ConnectAsync(servers.Server.Host, servers.Server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, client.Inbox.Count);
        var canary = await client.GetFolderAsync("Canary");
        await canary.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, canary.Count);
        await client.DisconnectAsync(quit: true);
    }
}

/// <summary>
/// A loopback relay to a real IMAP server that hides the server's SASL mechanisms: every "AUTH=" the server sends
/// becomes "NOAU=" (same length, so nothing else moves), and a client falls back to the LOGIN command, as it would
/// with a server that only offers LOGIN. Everything the client sends is forwarded untouched.
/// </summary>
public sealed class AuthHidingRelay : IAsyncDisposable
{
    private static readonly byte[] Auth = Encoding.ASCII.GetBytes("AUTH=");
    private static readonly byte[] Hidden = Encoding.ASCII.GetBytes("NOAU=");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _accepting;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private int _hid;

    public AuthHidingRelay(string targetHost, int targetPort)
    {
        (_targetHost, _targetPort) = (targetHost, targetPort);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_closing.Token);
    }

    public string Host => "127.0.0.1";
    public int Port { get; }

    /// <summary>Whether a mechanism was hidden at all: a test through the relay that never saw one tests nothing.</summary>
    public bool Hid => Volatile.Read(ref _hid) > 0;

    /// <summary>Reads the greeting through the relay and checks that the client sees no SASL mechanism at all.</summary>
    public async Task WarmUpAsync()
    {
        using var client = new ImapClient();
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        if (client.AuthenticationMechanisms.Count > 0 || !Hid)
            throw new InvalidOperationException($"The relay did not hide the mechanisms: {string.Join(' ', client.AuthenticationMechanisms)}");
        await client.DisconnectAsync(quit: true);
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_targetHost, _targetPort, ct);
                var up = client.GetStream().CopyToAsync(server.GetStream(), ct);
                var down = DownAsync(server.GetStream(), client.GetStream(), ct);
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    // The greeting and CAPABILITY answers are single short writes, so "AUTH=" never straddles two reads here.
    private async Task DownAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, ct)) > 0)
        {
            var span = buffer.AsSpan(0, n);
            int i;
            while ((i = span.IndexOf(Auth)) >= 0)
            {
                Hidden.CopyTo(span[i..]);
                Interlocked.Increment(ref _hid);
            }
            await to.WriteAsync(buffer.AsMemory(0, n), ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        await _accepting;
        _closing.Dispose();
    }
}
