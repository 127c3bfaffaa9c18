using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;
using Xunit;

namespace MigrationPortal.Fixtures.Cyrus;

/// <summary>
/// A private Cyrus IMAP server (Debian's cyrus-imapd, 3.6) for a test: its own master process with its own
/// imapd.conf and cyrus.conf under /tmp/mp-cyrus, listening on a free loopback port, never the system service.
/// Accounts are in a SASL password file of its own (saslpasswd2); a user's INBOX is made at their first login. The
/// classic namespace (altnamespace 0, unixhierarchysep 0): folders are under "INBOX." with "." as the delimiter, as
/// many Cyrus installations keep them, unlike Dovecot's "/" at the root.
/// The master daemonises and outlives a killed test host: each instance names its test process in an owner file, and
/// the first start in a test process stops and deletes the instances whose test process is gone.
/// </summary>
public sealed class CyrusServer : IAsyncLifetime
{
    public const string RootPath = "/tmp/mp-cyrus";
    public const string BinDirectory = "/usr/lib/cyrus/bin";

    /// <summary>
    /// Cyrus's IMAP server binary, unpacked from Debian's cyrus-imapd by tests/setup-machine.sh rather than installed:
    /// that package conflicts with dovecot-imapd (both provide imap-server), and the tests need both servers.
    /// </summary>
    public const string Imapd = "/opt/mp-cyrus/usr/lib/cyrus/bin/imapd";
    private const string OsUser = "cyrus";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static int _abandonedSwept;

    private string? _dir;
    private int _masterPid;

    public string Host => "127.0.0.1";
    public int Port { get; private set; }

    /// <summary>The folder delimiter of this configuration.</summary>
    public char Separator => '.';

    /// <summary>Lines added to imapd.conf, e.g. "maxmessagesize: 1048576" (which Cyrus also advertises as APPENDLIMIT).</summary>
    public string? ExtraConfig { get; init; }

    private string Dir => _dir ?? throw new InvalidOperationException("The server is not initialised.");
    private string Config => Path.Combine(Dir, "imapd.conf");
    private string Passwords => Path.Combine(Dir, "sasldb2");
    private string PidFile => Path.Combine(Dir, "run", "master.pid");

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Path.Combine(BinDirectory, "master")) || !File.Exists(Imapd) || !File.Exists("/usr/sbin/saslpasswd2"))
            throw new InvalidOperationException("Cyrus IMAP is missing: run ./test.sh (it installs cyrus-common and sasl2-bin, and unpacks cyrus-imapd's server).");
        if (!Libc.IsRoot)
            throw new InvalidOperationException("The private Cyrus server starts as root (its master drops to the cyrus user).");
        var (uid, gid) = Libc.LookUpUser(OsUser) ?? throw new InvalidOperationException("The cyrus user is missing: reinstall cyrus-imapd.");
        if (Interlocked.Exchange(ref _abandonedSwept, 1) == 0)
            AbandonedInstances.Remove(RootPath, Path.Combine("run", "master.pid"));

        Directory.CreateDirectory(RootPath);
        _dir = Path.Combine(RootPath, "cy" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        AbandonedInstances.Claim(Dir);
        foreach (var sub in new[] { "", "config", "spool", "run" })
        {
            Directory.CreateDirectory(Path.Combine(Dir, sub));
            Libc.Chown(Path.Combine(Dir, sub), uid, gid);
        }
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                Port = LoopbackPort.Free();
                await File.WriteAllTextAsync(Config, ImapdConf());
                await File.WriteAllTextAsync(Path.Combine(Dir, "cyrus.conf"), CyrusConf());
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

        string ImapdConf() => string.Join('\n',
            $"configdirectory: {Path.Combine(Dir, "config")}",
            $"partition-default: {Path.Combine(Dir, "spool")}",
            "admins: mpadmin",
            "sasl_pwcheck_method: auxprop",
            "sasl_auxprop_plugin: sasldb",
            $"sasl_sasldb_path: {Passwords}",
            "sasl_mech_list: PLAIN LOGIN",
            "allowplaintext: yes",
            "altnamespace: 0",
            "unixhierarchysep: 0",
            // A user's INBOX is made at their first login.
            "autocreate_quota: 0",
            $"idlesocket: {Path.Combine(Dir, "run", "idle")}",
            $"notifysocket: {Path.Combine(Dir, "run", "notify")}",
            $"lmtpsocket: {Path.Combine(Dir, "run", "lmtp")}",
            "syslog_prefix: mp-cyrus",
            ExtraConfig ?? "",
            "");

        string CyrusConf() => string.Create(CultureInfo.InvariantCulture, $$"""
            START {
              recover cmd="ctl_cyrusdb -r -C {{Config}}"
            }
            SERVICES {
              imap cmd="{{Imapd}} -C {{Config}}" listen="{{Host}}:{{Port}}" prefork=0
            }
            EVENTS {
            }
            DAEMON {
            }

            """);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        if (_dir is not null && Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private async Task StartAsync()
    {
        await ServerTools.RunAsync(Path.Combine(BinDirectory, "master"), null, "-C", Config, "-M", Path.Combine(Dir, "cyrus.conf"), "-p", PidFile, "-d");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (File.Exists(PidFile) && int.TryParse((await File.ReadAllTextAsync(PidFile)).Trim(), out var pid))
                _masterPid = pid;
            try
            {
                using var client = new ImapClient();
                await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
                await client.DisconnectAsync(quit: true);
                return;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ImapProtocolException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Cyrus did not start on port {Port}: {e.Message}", e);
            }
        }
    }

    private async Task StopAsync()
    {
        if (_masterPid <= 0) return;
        Libc.Signal(_masterPid, Libc.SigTerm);
        for (var i = 0; i < 50 && Libc.Signal(_masterPid, 0); i++)
            await Task.Delay(100);
        if (Libc.Signal(_masterPid, 0))
            Libc.Signal(_masterPid, Libc.SigKill);
        _masterPid = 0;
    }

    /// <summary>An account with that password; its INBOX is made at its first login.</summary>
    public async Task AddUserAsync(string login, string password)
    {
        await ServerTools.RunAsync("/usr/sbin/saslpasswd2", password + "\n", "-f", Passwords, "-p", "-c", login);
        var (uid, gid) = Libc.LookUpUser(OsUser)!.Value;
        Libc.Chown(Passwords, uid, gid);
        using var client = await LogInAsync(login, password);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>Appends the messages to the folder ('/'-separated below INBOX, created as needed) over one connection.</summary>
    public async Task AppendMessagesAsync(string login, string password, string folder, IEnumerable<MimeMessage> messages)
    {
        using var client = await LogInAsync(login, password);
        var target = await ImapFolders.GetOrCreateAsync(client, folder);
        foreach (var chunk in messages.Chunk(200))
            await target.AppendAsync([.. chunk.Select(m => (IAppendRequest)new AppendRequest(m))]);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>
    /// Gives the folder ('/'-separated below INBOX, not INBOX itself) a new UIDVALIDITY and keeps its messages (bytes,
    /// flags, INTERNALDATE), as a server restore would. Cyrus has no tool that sets a UIDVALIDITY (reconstruct keeps it,
    /// mbtool -r only renews the unique id), so the folder is made anew over IMAP: its messages are copied aside (COPY
    /// keeps flags and INTERNALDATE), the folder deleted and created again, which gives it a new UIDVALIDITY, and the
    /// messages copied back. Not INBOX: a user cannot delete it, and RENAME INBOX, the other way to empty it, ends
    /// Cyrus 3.6.1's imapd on a failed assertion (mailbox_index_islocked, imap/mailbox.c:4354).
    /// </summary>
    public async Task ChangeUidValidityAsync(string login, string password, string folder)
    {
        if (folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException("Cyrus lets no user delete INBOX: its UIDVALIDITY cannot be changed this way.");
        using var client = await LogInAsync(login, password);
        var target = await ImapFolders.GetAsync(client, folder);
        var parent = target.ParentFolder ?? throw new InvalidOperationException($"{folder} has no parent.");
        var name = target.Name;
        var aside = await client.Inbox.CreateAsync("mp-restore-" + Guid.NewGuid().ToString("N")[..8], isMessageFolder: true)
            ?? throw new InvalidOperationException("Cyrus did not create the folder aside.");
        await target.OpenAsync(FolderAccess.ReadOnly);
        var before = target.UidValidity;
        if (target.Count > 0)
            await target.CopyToAsync(await target.SearchAsync(MailKit.Search.SearchQuery.All), aside);
        await target.CloseAsync();
        await target.DeleteAsync();
        var renewed = await parent.CreateAsync(name, isMessageFolder: true)
            ?? throw new InvalidOperationException($"Cyrus did not create {folder} again.");
        await aside.OpenAsync(FolderAccess.ReadWrite);
        if (aside.Count > 0)
            await aside.CopyToAsync(await aside.SearchAsync(MailKit.Search.SearchQuery.All), renewed);
        await aside.CloseAsync();
        await aside.DeleteAsync();
        await renewed.OpenAsync(FolderAccess.ReadOnly);
        if (renewed.UidValidity == before)
            throw new InvalidOperationException($"Cyrus kept UIDVALIDITY {before} for {folder}.");
        await client.DisconnectAsync(quit: true);
    }

    private Task<ImapClient> LogInAsync(string login, string password) => ServerTools.LogInAsync(Host, Port, login, password);
}
