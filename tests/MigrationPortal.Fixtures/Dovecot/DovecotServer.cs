using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;
using Xunit;

namespace MigrationPortal.Fixtures.Dovecot;

/// <summary>
/// A private Dovecot IMAP server: its own directory under /tmp/mp-dovecot, a free loopback port,
/// plain-text IMAP (no TLS, no STARTTLS offered; see <see cref="Tls"/>), one passwd-file per user, mail stored in
/// maildirs as the OS user "mpmail".
/// Use it as a class or collection fixture; any number of instances can run side by side.
/// Needs root and Linux: the Dovecot master starts as root and drops to mpmail/dovenull/dovecot itself.
/// </summary>
public sealed class DovecotServer : IAsyncLifetime
{
    public const string MailOsUser = "mpmail";

    private const string SetupHint =
        "Run tests/setup-machine.sh as root: it installs dovecot-imapd and creates the 'mpmail' user.";

    // Dovecot's auth_username_chars default: other logins are refused before the passdb is asked.
    private const string LoginChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<DovecotServer, Process> Running = new();
    private static int _abandonedSwept;

    private readonly SemaphoreSlim _processLock = new(1, 1);
    private readonly StringBuilder _console = new();
    private InstanceDirectory? _dir;
    private Process? _master;
    private string _dovecot = "";
    private uint _mailUid;
    private uint _mailGid;
    private int? _tlsPort;
    private string? _certificateSha256;

    static DovecotServer()
    {
        // Fixtures are disposed by xunit; this covers a test host that exits without disposing them.
        // A host killed outright leaves its instances behind: the next run's RemoveAbandoned stops them.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var master in Running.Values)
                Libc.Signal(master.Id, Libc.SigTerm);
        };
    }

    /// <summary>Appended to dovecot.conf, e.g. a quota that refuses large messages. (A property, not a constructor
    /// argument: xunit builds class fixtures through their one parameterless constructor.)</summary>
    public string? ExtraConfig { get; init; }

    /// <summary>The folder Dovecot marks \Sent (SPECIAL-USE): "Sent", or "Sent Items" as Exchange names it.</summary>
    public string SentFolder { get; init; } = "Sent";

    /// <summary>The hierarchy delimiter: '/' (Dovecot's maildir default here) or '.', as Cyrus and Courier use.</summary>
    public char Separator { get; init; } = '/';

    /// <summary>Settings that make the server refuse any message larger than <paramref name="bytes"/> (APPEND answers NO).</summary>
    public static string MaxMessageSize(int bytes) => $$"""
        mail_plugins = $mail_plugins quota
        plugin {
          quota = count:User quota
          quota_vsizes = yes
          quota_max_mail_size = {{bytes}}
        }

        """;

    /// <summary>Dovecot 2.3.19's own capability list after login (imap_capability's default, with LITERAL+).</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "SORT", "SORT=DISPLAY", "THREAD=REFERENCES", "THREAD=REFS",
        "THREAD=ORDEREDSUBJECT", "MULTIAPPEND", "URL-PARTIAL", "CATENATE", "UNSELECT", "CHILDREN", "NAMESPACE", "UIDPLUS",
        "LIST-EXTENDED", "I18NLEVEL=1", "CONDSTORE", "QRESYNC", "ESEARCH", "ESORT", "SEARCHRES", "WITHIN", "CONTEXT=SEARCH",
        "LIST-STATUS", "BINARY", "MOVE", "SNIPPET=FUZZY", "PREVIEW=FUZZY", "PREVIEW", "STATUS=SIZE", "SAVEDATE", "LITERAL+",
        "NOTIFY", "SPECIAL-USE",
    ];

    /// <summary>
    /// Settings that make the server advertise its usual capabilities after login but these (imap_capability replaces
    /// the whole list in Dovecot 2.3: there is no way to remove one), as a server without, say, MULTIAPPEND would. The
    /// greeting's pre-login list is imap-login's and stays as it was; clients read the list again after login.
    /// </summary>
    public static string CapabilitiesWithout(params string[] extensions) =>
        $"imap_capability = {string.Join(' ', DefaultCapabilities.Except(extensions, StringComparer.OrdinalIgnoreCase))}\n";

    /// <summary>
    /// Settings that store folders as plain directories (maildir LAYOUT=fs) rather than Maildir++'s dot-joined names,
    /// so a '/'-separated server takes a '.' inside a folder name ("Q3.2026"), which the default layout refuses.
    /// </summary>
    public const string DirectoryLayout = "mail_location = maildir:~/Maildir:LAYOUT=fs\n";

    /// <summary>
    /// Offers TLS with a self-signed certificate made for this instance (for 127.0.0.1 and localhost): STARTTLS on
    /// <see cref="Port"/> and implicit TLS on <see cref="TlsPort"/>. False (the default): ssl = no, so STARTTLS is not
    /// offered at all.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>
    /// Also accept OAuth 2.0 access tokens (AUTH=XOAUTH2 and AUTH=OAUTHBEARER), validated by introspection at the given
    /// OAuth server; passwords keep working for the same users. Null (the default): passwords only, neither mechanism offered.
    /// </summary>
    public OAuth2Passdb? OAuth2 { get; init; }

    public string Host => "127.0.0.1";

    /// <summary>Plain IMAP; with <see cref="Tls"/>, STARTTLS is offered here (and a login without it is still accepted).</summary>
    public int Port { get; private set; }

    /// <summary>The implicit-TLS (imaps) port; only with <see cref="Tls"/>.</summary>
    public int TlsPort => _tlsPort ?? throw new InvalidOperationException("This server was started without Tls.");

    /// <summary>The SHA-256 fingerprint of the server's certificate, 64 uppercase hex characters; only with <see cref="Tls"/>.</summary>
    public string CertificateSha256 => _certificateSha256 ?? throw new InvalidOperationException("This server was started without Tls.");

    /// <summary>This instance's dovecot.conf: for doveadm run against it (bench/interop.sh's dsync).</summary>
    public string ConfigFile => _dir?.Config ?? throw new InvalidOperationException("The server is not initialised.");

    private string InstanceName => _dir?.Name ?? throw new InvalidOperationException("The server is not initialised.");

    public async Task InitializeAsync()
    {
        CheckPrerequisites();
        if (Interlocked.Exchange(ref _abandonedSwept, 1) == 0)
            InstanceDirectory.RemoveAbandoned();

        _dir = InstanceDirectory.Create(_mailUid, _mailGid);
        try
        {
            if (Tls)
                _certificateSha256 = await WriteSelfSignedCertificateAsync(_dir);
            // The port is free when picked but not reserved: another process may take it before Dovecot binds.
            for (var attempt = 1; ; attempt++)
            {
                Port = PickFreePort();
                if (Tls)
                    _tlsPort = PickFreePort(except: Port);
                if (OAuth2 is not null && OperatingSystem.IsLinux())
                {
                    // Read by the auth process, which runs as the dovecot user.
                    await File.WriteAllTextAsync(_dir.OAuth2Config, DovecotConfig.RenderOAuth2(OAuth2));
                    File.SetUnixFileMode(_dir.OAuth2Config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                }
                await File.WriteAllTextAsync(_dir.Config,
                    DovecotConfig.Render(InstanceName, _dir, Port, _mailUid, SentFolder, Separator, _tlsPort, OAuth2) + ExtraConfig);
                try
                {
                    await StartAsync();
                    return;
                }
                catch (DovecotStartException) when (attempt < 3 && ReadLog().Contains("Address already in use"))
                {
                }
            }
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _dir?.Delete();
    }

    /// <summary>Starts the server (again) on the same port, with the same users and mail.</summary>
    public async Task StartAsync()
    {
        var dir = _dir ?? throw new InvalidOperationException("Call InitializeAsync first.");
        await _processLock.WaitAsync();
        try
        {
            if (_master is not null)
                throw new InvalidOperationException("Dovecot is already running.");
            var start = new ProcessStartInfo(_dovecot)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-F");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(dir.Config);
            var master = new Process { StartInfo = start };
            master.OutputDataReceived += (_, e) => AppendConsole(e.Data);
            master.ErrorDataReceived += (_, e) => AppendConsole(e.Data);
            master.Start();
            _master = master;
            Running[this] = master;
            master.BeginOutputReadLine();
            master.BeginErrorReadLine();
            try
            {
                await WaitUntilReadyAsync(master);
            }
            catch
            {
                await StopMasterAsync();
                throw;
            }
        }
        finally
        {
            _processLock.Release();
        }
    }

    /// <summary>Stops the server and waits until all its processes are gone and the port refuses connections.</summary>
    public async Task StopAsync()
    {
        await _processLock.WaitAsync();
        try
        {
            await StopMasterAsync();
        }
        finally
        {
            _processLock.Release();
        }
    }

    /// <summary>
    /// Adds a user, known to Dovecot from the next login on. Each user has a passwd-file of its own that
    /// stores the password as written: any Unicode text except ':' (the field separator), line breaks and
    /// NUL; not empty (an empty field means "no password").
    /// </summary>
    public async Task AddUserAsync(string login, string password)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(password);
        if (login.Length == 0 || login[0] == '.' || login.Any(c => !LoginChars.Contains(c)))
            throw new ArgumentException($"Logins are limited to [{LoginChars}] and may not start with '.'.", nameof(login));
        if (password.Length == 0 || password.IndexOfAny([':', '\n', '\r', '\0']) >= 0)
            throw new ArgumentException("A passwd-file password cannot be empty or contain ':', a line break or NUL.", nameof(password));
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException();
        var dir = _dir ?? throw new InvalidOperationException("Call InitializeAsync first.");

        // Written aside then moved in, so Dovecot never reads half a line. No BOM: it would become part of the login.
        var line = $"{login}:{{PLAIN}}{password}:{_mailUid}:{_mailGid}::{Path.Combine(dir.Mail, login)}::\n";
        var temporary = Path.Combine(dir.Path, $"new-user-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(temporary, line, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.SetUnixFileMode(temporary,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            File.Move(temporary, Path.Combine(dir.Users, login), overwrite: false);
        }
        catch (IOException) when (File.Exists(Path.Combine(dir.Users, login)))
        {
            File.Delete(temporary);
            throw new InvalidOperationException($"User '{login}' already exists.");
        }
    }

    /// <summary>Logs in as the user and appends the message to the folder ('/'-separated), creating folders as needed.</summary>
    public async Task AppendMessageAsync(string login, string password, string folder, MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(message);
        using var client = new ImapClient();
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        var target = await GetOrCreateFolderAsync(client, folder);
        await target.AppendAsync(new AppendRequest(message));
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>
    /// Appends the messages to the folder ('/'-separated, created as needed) over one connection, a few hundred per
    /// MULTIAPPEND command: thousands of messages are seeded in a second or two, where a login per message would take a minute.
    /// </summary>
    public async Task AppendMessagesAsync(string login, string password, string folder, IEnumerable<MimeMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(messages);
        using var client = new ImapClient();
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        var target = await GetOrCreateFolderAsync(client, folder);
        foreach (var chunk in messages.Chunk(200))
            await target.AppendAsync([.. chunk.Select(m => (IAppendRequest)new AppendRequest(m))]);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>
    /// Stores the bytes as a message of the user's folder with Dovecot's own tool (doveadm save), creating the folder
    /// first: a way in that goes through no IMAP client, so a test can seed mail no client would write.
    /// </summary>
    public async Task SaveRawAsync(string login, string folder, byte[] message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            await DoveadmAsync(null, tolerateFailure: true, "mailbox", "create", "-u", login, folder);
        await DoveadmAsync(message, tolerateFailure: false, "save", "-u", login, "-m", folder);
    }

    private async Task DoveadmAsync(byte[]? input, bool tolerateFailure, params string[] args)
    {
        var dir = _dir ?? throw new InvalidOperationException("Call InitializeAsync first.");
        var doveadm = FindExecutable("doveadm") ?? throw new InvalidOperationException($"doveadm was not found. {SetupHint}");
        var start = new ProcessStartInfo(doveadm) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(dir.Config);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("doveadm did not start.");
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
            await process.StandardInput.BaseStream.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 && !tolerateFailure)
            throw new InvalidOperationException($"doveadm {args[0]} failed ({process.ExitCode}): {await error}");
    }

    /// <summary>Gives a user's folder a new UIDVALIDITY (doveadm mailbox update), as a server restore or rebuild would.</summary>
    public Task SetUidValidityAsync(string login, string folder, uint uidValidity) =>
        DoveadmAsync(null, tolerateFailure: false, "mailbox", "update", "--uid-validity",
            uidValidity.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", login, folder);

    /// <summary>What Dovecot printed while starting, then its log file: for assertion messages and failures.</summary>
    public string ReadLog()
    {
        var text = new StringBuilder();
        lock (_console)
            text.Append(_console);
        if (_dir is not null && File.Exists(_dir.Log))
        {
            using var stream = new FileStream(_dir.Log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            text.Append(reader.ReadToEnd());
        }
        return text.ToString();
    }

    private void CheckPrerequisites()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The Dovecot fixture runs on Linux only.");
        _dovecot = FindExecutable("dovecot")
            ?? throw new InvalidOperationException($"The dovecot binary was not found. {SetupHint}");
        (_mailUid, _mailGid) = Libc.LookUpUser(MailOsUser)
            ?? throw new InvalidOperationException($"The OS user '{MailOsUser}' does not exist. {SetupHint}");
        if (!Libc.IsRoot)
            throw new InvalidOperationException(
                "The Dovecot fixture must run as root: the Dovecot master starts as root and switches to the " +
                $"'{MailOsUser}', 'dovenull' and 'dovecot' users itself.");
    }

    private async Task WaitUntilReadyAsync(Process master)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            if (master.HasExited)
            {
                await master.WaitForExitAsync(); // drains the redirected output into _console
                throw StartFailure($"dovecot exited with code {master.ExitCode} before accepting connections");
            }
            if (await AnswersOurGreetingAsync(timeout.Token))
                return;
            try
            {
                await Task.Delay(25, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw StartFailure($"dovecot did not answer the IMAP greeting within {StartTimeout.TotalSeconds:0} s");
            }
        }
    }

    // The greeting names this instance (login_greeting), so another server that took the port is not mistaken for ours.
    private async Task<bool> AnswersOurGreetingAsync(CancellationToken ct)
    {
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(ct);
        probe.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, Port, probe.Token);
            using var reader = new StreamReader(tcp.GetStream(), Encoding.ASCII);
            var greeting = await reader.ReadLineAsync(probe.Token);
            return greeting is not null && greeting.StartsWith("* OK", StringComparison.Ordinal)
                && greeting.Contains(InstanceName, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task StopMasterAsync()
    {
        if (_master is not { } master)
            return;
        _master = null;
        try
        {
            if (!master.HasExited)
            {
                Libc.Signal(master.Id, Libc.SigTerm);
                using var timeout = new CancellationTokenSource(StopTimeout);
                try
                {
                    await master.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    master.Kill(entireProcessTree: true);
                    await master.WaitForExitAsync();
                }
            }
        }
        finally
        {
            Running.TryRemove(this, out _);
            master.Dispose();
        }
        await WaitUntilGoneAsync();
    }

    // The master exits before some of its children (imap-login holds the listening socket), and a
    // test that stops the server expects the port to refuse connections at once: wait until every
    // process of this instance is gone. Once they are, the port is no longer this instance's: another
    // fixture, a test's listener or Kestrel may already have been given it (they all ask for a free
    // port), so a connection that is accepted then is someone else's and not an error.
    private async Task WaitUntilGoneAsync()
    {
        var prefix = $"dovecot-{InstanceName}/";
        for (var i = 0; i < 100; i++)
        {
            if (InstanceProcesses(prefix).Count == 0)
                return;
            await Task.Delay(50);
        }
        foreach (var pid in InstanceProcesses(prefix))
            Libc.Signal(pid, Libc.SigKill);
        await Task.Delay(100);
        if (InstanceProcesses(prefix).Count > 0)
            throw new InvalidOperationException($"Processes of Dovecot instance {InstanceName} (port {Port}) survived SIGKILL.");
    }

    // Dovecot renames its children "dovecot-<instance_name>/<service>" in their command line.
    private static List<int> InstanceProcesses(string prefix)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).StartsWith(prefix, StringComparison.Ordinal))
                    pids.Add(pid);
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
        }
        return pids;
    }

    private static async Task<IMailFolder> GetOrCreateFolderAsync(ImapClient client, string path)
    {
        if (path.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            return client.Inbox;
        var personal = client.PersonalNamespaces[0];
        var folder = client.GetFolder(personal);
        foreach (var name in path.Split(personal.DirectorySeparator))
        {
            var children = await folder.GetSubfoldersAsync();
            folder = children.FirstOrDefault(child => child.Name == name)
                ?? await folder.CreateAsync(name, isMessageFolder: true)
                ?? throw new InvalidOperationException($"Dovecot did not create folder '{name}'.");
        }
        return folder;
    }

    private DovecotStartException StartFailure(string what)
    {
        var lines = ReadLog().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tail = string.Join('\n', lines.TakeLast(20));
        return new DovecotStartException($"{what} (port {Port}, {_dir?.Config}). Last log lines:\n{tail}");
    }

    private void AppendConsole(string? line)
    {
        if (line is null)
            return;
        lock (_console)
            _console.Append(line).Append('\n');
    }

    private static int PickFreePort(int? except = null)
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port != except)
                    return port;
            }
            finally
            {
                listener.Stop();
            }
        }
    }

    // Made here rather than with openssl, which a test machine may lack. A fresh key per instance: a test that pins one
    // server's certificate cannot pass against another's by accident.
    private static async Task<string> WriteSelfSignedCertificateAsync(InstanceDirectory dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=MigrationPortal test Dovecot", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = TimeProvider.System.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));

        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException();
        await File.WriteAllTextAsync(dir.Certificate, certificate.ExportCertificatePem());
        // Created 0600, never readable by others even for a moment: the instance directory is under /tmp.
        var keyFile = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var writer = new StreamWriter(dir.CertificateKey, Encoding.ASCII, keyFile))
            await writer.WriteAsync(key.ExportPkcs8PrivateKeyPem());
        return certificate.GetCertHashString(HashAlgorithmName.SHA256).ToUpperInvariant();
    }

    private static string? FindExecutable(string name)
    {
        // /usr/sbin is often missing from a non-login PATH.
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}

public sealed class DovecotStartException(string message) : Exception(message);

/// <summary>
/// Dovecot's oauth2 passdb for a test server: tokens checked by RFC 7662 introspection at <paramref name="IntrospectionUrl"/>.
/// <paramref name="UsernameFormat"/> is compared, expanded once for the login name and once for the token's email: "%Lu"
/// (Google-like) lets a token open exactly its subject's mailbox; "%Ld" (Microsoft-365-app-like) lets an app token whose
/// email is at a domain open every mailbox of that domain.
/// </summary>
public sealed record OAuth2Passdb(Uri IntrospectionUrl, string UsernameFormat = OAuth2Passdb.SubjectOnly)
{
    public const string SubjectOnly = "%Lu";
    public const string WholeDomain = "%Ld";
}
