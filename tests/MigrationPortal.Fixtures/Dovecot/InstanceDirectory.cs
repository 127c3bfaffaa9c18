using System.Globalization;

namespace MigrationPortal.Fixtures.Dovecot;

// One private Dovecot instance's files: config, passwd-files, base_dir, state_dir, log and maildirs.
// An "owner" file names the test process (pid + kernel start time) so a later run can tell an
// instance abandoned by a crashed or killed test host from one that a parallel test run still uses.
internal sealed class InstanceDirectory
{
    // Fixed under /tmp rather than Path.GetTempPath(): the path must be traversable by the mpmail and
    // dovenull users (a per-user TMPDIR is often 0700), short enough for the unix sockets in base_dir
    // (sun_path is 108 bytes), and the same in every run so abandoned instances can be found.
    public const string RootPath = "/tmp/mp-dovecot";

    private const UnixFileMode Traversable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static readonly TimeSpan OwnerlessGrace = TimeSpan.FromMinutes(1);

    private InstanceDirectory(string path) => Path = path;

    public string Path { get; }
    public string Name => System.IO.Path.GetFileName(Path);
    public string Config => Combine("dovecot.conf");
    public string Users => Combine("users");
    public string Log => Combine("dovecot.log");
    public string Run => Combine("run");
    public string State => Combine("state");
    public string Mail => Combine("mail");
    public string Certificate => Combine("server-cert.pem");
    public string CertificateKey => Combine("server-key.pem");
    public string OAuth2Config => Combine("dovecot-oauth2.conf.ext");
    private string Owner => Combine("owner");
    private string MasterPidFile => System.IO.Path.Combine(Run, "master.pid");

    public static InstanceDirectory Create(uint mailUid, uint mailGid)
    {
        CreateTraversable(RootPath);
        var dir = new InstanceDirectory(System.IO.Path.Combine(RootPath, "mp" + Guid.NewGuid().ToString("N")[..8]));
        CreateTraversable(dir.Path);
        File.WriteAllText(dir.Owner, ProcessIdentity(Environment.ProcessId));
        CreateTraversable(dir.Users);
        CreateTraversable(dir.Run);
        CreateTraversable(dir.State);
        CreateTraversable(dir.Mail);
        Libc.Chown(dir.Mail, mailUid, mailGid);
        return dir;
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Stops and deletes instances whose test process is gone (a crashed or killed run).</summary>
    public static void RemoveAbandoned()
    {
        if (!Directory.Exists(RootPath))
            return;
        foreach (var path in Directory.EnumerateDirectories(RootPath))
        {
            var dir = new InstanceDirectory(path);
            if (!dir.IsAbandoned())
                continue;
            dir.KillLeftoverMaster();
            try
            {
                dir.Delete();
            }
            catch (IOException)
            {
                // Another test process is cleaning up the same directory.
            }
        }
    }

    private bool IsAbandoned()
    {
        string owner;
        try
        {
            owner = File.ReadAllText(Owner).Trim();
        }
        catch (FileNotFoundException)
        {
            // Create() writes the owner right after the directory; give a concurrent Create() time to do so.
            return Directory.GetLastWriteTimeUtc(Path) < TimeProvider.System.GetUtcNow().UtcDateTime - OwnerlessGrace;
        }
        return !IsLiveOwner(owner);
    }

    /// <summary>Whether an owner file's text ("pid starttime") still names a running process, the same one.</summary>
    internal static bool IsLiveOwner(string owner)
    {
        var pid = int.TryParse(owner.Split(' ')[0], CultureInfo.InvariantCulture, out var p) ? p : 0;
        return pid > 0 && ProcessIdentity(pid) == owner;
    }

    private void KillLeftoverMaster()
    {
        if (!File.Exists(MasterPidFile) ||
            !int.TryParse(File.ReadAllText(MasterPidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
            return;
        // The pid may have been reused since: only signal a dovecot started with this instance's config.
        if (!ReadCommandLine(pid).Contains(Config, StringComparison.Ordinal))
            return;
        Libc.Signal(pid, Libc.SigTerm);
        for (var i = 0; i < 60 && Directory.Exists($"/proc/{pid}"); i++)
            Thread.Sleep(50);
        Libc.Signal(pid, Libc.SigKill);
    }

    private static string ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    // "pid starttime" (field 22 of /proc/pid/stat, in clock ticks since boot): unique across pid reuse.
    // Empty when the process does not exist.
    internal static string ProcessIdentity(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return "";
        }
        // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return $"{pid} {fields[22 - 3]}";
    }

    private static void CreateTraversable(string path)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException();
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, Traversable);
    }

    private string Combine(string name) => System.IO.Path.Combine(Path, name);
}
