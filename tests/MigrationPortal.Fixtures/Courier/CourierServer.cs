using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;
using Xunit;

namespace MigrationPortal.Fixtures.Courier;

/// <summary>
/// A private Courier-IMAP server (Debian 12's courier-imap, 5.0) for a test, logged into the way Courier's own service
/// is: couriertcpd on a free loopback port runs imaplogin per connection, which asks authlib's authdaemond (here with
/// authuserdb, a userdb file of this instance's) and runs imapd as the mail user. Mail is in Maildir++ under
/// /tmp/mp-courier, owned by "mpmail" (Courier refuses root). Courier's namespace is "INBOX." with "." as the delimiter.
/// <para>
/// imaplogin reaches authdaemond over a socket whose path is compiled in (/run/courier/authdaemon/socket; authdaemonrc's
/// authdaemonvar does not move it), and authdaemond reads /etc/courier/authdaemonrc and /etc/courier/userdb.dat, also
/// fixed. So that instances (several test processes run them at once) and any system authdaemond never share them,
/// each instance runs in mount and PID namespaces of its own (unshare): its own directories are bind-mounted over
/// /etc/courier and /run/courier there, and when couriertcpd, the namespace's first process, ends, the kernel ends
/// authdaemond and every imapd with it.
/// </para>
/// </summary>
public sealed class CourierServer : IAsyncLifetime
{
    public const string RootPath = "/tmp/mp-courier";

    /// <summary>
    /// Courier-IMAP's files, unpacked from Debian's courier-imap by tests/setup-machine.sh rather than installed: that
    /// package conflicts with dovecot-imapd (both provide imap-server), and the tests need both servers.
    /// </summary>
    public const string Prefix = "/opt/mp-courier";

    private const string MailOsUser = DovecotServer.MailOsUser;
    private const string Couriertcpd = "/usr/sbin/couriertcpd";
    private const string Authdaemond = "/usr/lib/courier/courier-authlib/authdaemond";
    private const string Makeuserdb = "/usr/sbin/makeuserdb";
    private const string SetupHint = "run ./test.sh (it installs courier-base and unpacks courier-imap's server).";

    // userdb's fields are separated by tabs, '|' and '=': logins keep to these characters.
    private const string LoginChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static int _abandonedSwept;

    private readonly SemaphoreSlim _usersLock = new(1, 1);
    private string? _dir;
    private Process? _unshare;
    private uint _mailUid;
    private uint _mailGid;

    public string Host => "127.0.0.1";
    public int Port { get; private set; }

    /// <summary>The folder delimiter: Courier's personal namespace is "INBOX." with ".".</summary>
    public char Separator => '.';

    private string Dir => _dir ?? throw new InvalidOperationException("The server is not initialised.");
    private string Etc => Path.Combine(Dir, "etc");
    private string Users => Path.Combine(Etc, "userdb");
    private string MasterPidFile => Path.Combine(Dir, "master.pid");
    private string Log => Path.Combine(Dir, "imapd.log");

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Couriertcpd) || !File.Exists(Authdaemond) || !File.Exists(Makeuserdb)
            || !File.Exists(Path.Combine(Prefix, "usr/bin/imapd")))
            throw new InvalidOperationException("Courier-IMAP is missing: " + SetupHint);
        if (!Libc.IsRoot)
            throw new InvalidOperationException("The private Courier server starts as root (it bind-mounts its config, and imaplogin drops to the mail user).");
        (_mailUid, _mailGid) = Libc.LookUpUser(MailOsUser)
            ?? throw new InvalidOperationException($"The OS user {MailOsUser} is missing: " + SetupHint);
        if (Interlocked.Exchange(ref _abandonedSwept, 1) == 0)
            AbandonedInstances.Remove(RootPath, "master.pid");

        CreateTraversable(RootPath);
        _dir = Path.Combine(RootPath, "co" + Guid.NewGuid().ToString("N")[..8]);
        CreateTraversable(Dir);
        AbandonedInstances.Claim(Dir);
        try
        {
            CreateTraversable(Etc);
            Directory.CreateDirectory(Path.Combine(Dir, "run", "authdaemon"));
            CreateTraversable(Path.Combine(Dir, "mail"));
            await File.WriteAllTextAsync(Path.Combine(Etc, "authdaemonrc"), """
                authmodulelist="authuserdb"
                daemons=2
                authdaemonvar=/run/courier/authdaemon
                DEBUG_LOGIN=0
                DEFAULTOPTIONS=""

                """);
            // makeuserdb refuses a userdb that others may read.
            await File.WriteAllTextAsync(Users, "");
            File.SetUnixFileMode(Users, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await ServerTools.RunAsync(Makeuserdb, null, "-f", Users);
            // The port is free when picked but not reserved: a lost race (couriertcpd cannot bind) is retried on another.
            for (var attempt = 1; ; attempt++)
            {
                Port = LoopbackPort.Free();
                try
                {
                    await StartAsync();
                    return;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    await StopAsync();
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
        if (_dir is not null && Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private async Task StartAsync()
    {
        var script = Path.Combine(Dir, "start.sh");
        // Debian's /etc/courier/imapd and imapd-ssl, sourced as its init script does, so imapd runs with the packaged
        // defaults (IMAP_CAPABILITY and the rest); only STARTTLS is off: the tests speak plain IMAP and there is no
        // certificate. authdaemond is waited for so the port opens only when a login can be checked.
        await File.WriteAllTextAsync(script, string.Create(CultureInfo.InvariantCulture, $"""
            set -e
            mkdir -p /run/courier
            mount --bind '{Etc}' /etc/courier
            mount --bind '{Path.Combine(Dir, "run")}' /run/courier
            {Authdaemond} >>'{Path.Combine(Dir, "authdaemon.log")}' 2>&1 &
            while [ ! -S /run/courier/authdaemon/socket ]; do sleep 0.02; done
            set -a
            . {Prefix}/etc/courier/imapd
            . {Prefix}/etc/courier/imapd-ssl
            IMAP_STARTTLS=NO
            exec {Couriertcpd} -address={Host} -nodnslookup -noidentlookup -stderr='{Log}' {Port} {Prefix}/usr/lib/courier/courier/imaplogin {Prefix}/usr/bin/imapd Maildir

            """));
        // --kill-child: should this process die (the test host killed), the namespace's first process gets SIGKILL,
        // and with it goes everything in the namespace.
        var start = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in (string[])["--mount", "--pid", "--fork", "--kill-child=SIGKILL", "--propagation", "private",
                     "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/bin/sh", script])
            start.ArgumentList.Add(argument);
        var unshare = Process.Start(start) ?? throw new InvalidOperationException("unshare did not start.");
        _unshare = unshare;
        var output = unshare.StandardOutput.ReadToEndAsync();
        var error = unshare.StandardError.ReadToEndAsync();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (unshare.HasExited)
                throw new InvalidOperationException($"Courier did not start on port {Port}: {(await output + await error).Trim()} {ReadLog()}");
            if (!File.Exists(MasterPidFile) && NamespaceInit(unshare.Id) is { } init)
                await File.WriteAllTextAsync(MasterPidFile, init.ToString(CultureInfo.InvariantCulture));
            if (await GreetsAsync())
                return;
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"Courier did not answer on port {Port} within {StartTimeout.TotalSeconds:0} s. {ReadLog()}");
            await Task.Delay(50);
        }
    }

    // The namespace's first process (the shell, then couriertcpd), as seen from here: unshare's one child.
    private static int? NamespaceInit(int unsharePid)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{unsharePid}/task/{unsharePid}/children").Trim();
            return int.TryParse(children.Split(' ')[0], CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task<bool> GreetsAsync()
    {
        try
        {
            using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(Host, Port, probe.Token);
            using var reader = new StreamReader(tcp.GetStream(), Encoding.ASCII);
            var greeting = await reader.ReadLineAsync(probe.Token);
            return greeting is not null && greeting.StartsWith("* OK", StringComparison.Ordinal) && greeting.Contains("Courier-IMAP", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task StopAsync()
    {
        if (_unshare is not { } unshare) return;
        _unshare = null;
        // unshare ignores SIGTERM while it waits for its child; the namespace's first process is stopped instead (and
        // unshare, its parent, reaps it: killing unshare first would leave it to init).
        if (!unshare.HasExited && NamespaceInit(unshare.Id) is { } init)
            Libc.Signal(init, Libc.SigKill);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await unshare.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            unshare.Kill();
            await unshare.WaitForExitAsync();
        }
        unshare.Dispose();
        File.Delete(MasterPidFile);
    }

    /// <summary>
    /// An account with that password (stored as {SHA256}, which authlib checks), known from the next login on, and its
    /// empty Maildir (imapd does not make one).
    /// </summary>
    public async Task AddUserAsync(string login, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
        if (string.IsNullOrEmpty(login) || login.Any(c => !LoginChars.Contains(c)))
            throw new ArgumentException($"Logins are limited to [{LoginChars}].", nameof(login));
        var home = Path.Combine(Dir, "mail", login);
        await _usersLock.WaitAsync();
        try
        {
            var maildir = Path.Combine(home, "Maildir");
            foreach (var sub in new[] { home, maildir, Path.Combine(maildir, "cur"), Path.Combine(maildir, "new"), Path.Combine(maildir, "tmp") })
            {
                Directory.CreateDirectory(sub);
                File.SetUnixFileMode(sub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                Libc.Chown(sub, _mailUid, _mailGid);
            }
            var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
            await File.AppendAllTextAsync(Users, string.Create(CultureInfo.InvariantCulture,
                $"{login}\tuid={_mailUid}|gid={_mailGid}|home={home}|mail={maildir}|systempw={{SHA256}}{hash}\n"));
            await ServerTools.RunAsync(Makeuserdb, null, "-f", Users);
        }
        finally
        {
            _usersLock.Release();
        }
    }

    /// <summary>Appends the messages to the folder ('/'-separated below INBOX, created level by level) over one connection.</summary>
    public async Task AppendMessagesAsync(string login, string password, string folder, IEnumerable<MimeMessage> messages)
    {
        using var client = await LogInAsync(login, password);
        var target = await ImapFolders.GetOrCreateAsync(client, folder);
        // Courier has no MULTIAPPEND: MailKit sends one APPEND per message.
        await target.AppendAsync([.. messages.Select(m => (IAppendRequest)new AppendRequest(m))]);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>
    /// Gives the folder ('/'-separated below INBOX) a new UIDVALIDITY and keeps its messages as they are (bytes, flags,
    /// INTERNALDATE), as a server restore would: Courier keeps a folder's UIDs in its courierimapuiddb file, and
    /// without it numbers the messages afresh under a new UIDVALIDITY. That UIDVALIDITY is taken from the clock in
    /// seconds, so a folder made within the same second gets the same one: then it is done again a second later.
    /// </summary>
    public async Task ChangeUidValidityAsync(string login, string password, string folder)
    {
        var before = await ReadUidValidityAsync(login, password, folder);
        var uidDb = Path.Combine(MaildirOf(login, folder), "courierimapuiddb");
        if (!File.Exists(uidDb))
            throw new InvalidOperationException($"{uidDb} is not there.");
        for (var attempt = 1; ; attempt++)
        {
            File.Delete(uidDb);
            if (await ReadUidValidityAsync(login, password, folder) != before) return;
            if (attempt == 3)
                throw new InvalidOperationException($"Courier kept UIDVALIDITY {before} for {folder}.");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    // The folder's directory in the Maildir++: INBOX is the Maildir itself, INBOX.a.b is ".a.b" in it; Courier 5 keeps
    // folder names in UTF-8 on disk.
    private string MaildirOf(string login, string folder)
    {
        var maildir = Path.Combine(Dir, "mail", login, "Maildir");
        return folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? maildir : Path.Combine(maildir, "." + folder.Replace('/', '.'));
    }

    private async Task<uint> ReadUidValidityAsync(string login, string password, string folder)
    {
        using var client = await LogInAsync(login, password);
        var target = await ImapFolders.GetAsync(client, folder);
        await target.OpenAsync(FolderAccess.ReadOnly);
        var uidValidity = target.UidValidity;
        await client.DisconnectAsync(quit: true);
        return uidValidity;
    }

    private Task<ImapClient> LogInAsync(string login, string password) => ServerTools.LogInAsync(Host, Port, login, password);

    private string ReadLog()
    {
        try
        {
            return File.Exists(Log) ? File.ReadAllText(Log) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static void CreateTraversable(string path)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException();
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }
}
