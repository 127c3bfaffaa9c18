using System.Globalization;
using MigrationPortal.Fixtures.Dovecot;

namespace MigrationPortal.Fixtures;

/// <summary>
/// The sweep of private servers (Cyrus, Courier) that a killed test host left running: their masters outlive the test
/// process (Cyrus's daemonises; Courier's is not our child once its parent is gone), so the next run stops them. Each
/// instance directory holds an "owner" file naming the test process (pid and kernel start time, as
/// <see cref="InstanceDirectory"/> writes it for Dovecot) and a file with its master's pid.
/// </summary>
internal static class AbandonedInstances
{
    private const string OwnerFile = "owner";
    private static readonly TimeSpan OwnerlessGrace = TimeSpan.FromMinutes(1);

    /// <summary>Marks the directory as this test process's: written right after the directory is made.</summary>
    public static void Claim(string directory) =>
        File.WriteAllText(Path.Combine(directory, OwnerFile), InstanceDirectory.ProcessIdentity(Environment.ProcessId));

    /// <summary>
    /// Stops the master (pid in <paramref name="masterPidFile"/>, relative to the instance) of every instance under
    /// <paramref name="root"/> whose test process is gone, and deletes the instance. The pid is only signalled when
    /// its command line names the instance directory: it may have been reused by another process since. An instance
    /// without an owner file is never stopped, only deleted once its master is gone.
    /// </summary>
    public static void Remove(string root, string masterPidFile)
    {
        if (!Directory.Exists(root)) return;
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var master = Master(dir, Path.Combine(dir, masterPidFile));
            if (!IsAbandoned(dir, master is not null)) continue;
            if (master is { } pid) Kill(pid);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another test process is sweeping the same directory.
            }
        }
    }

    private static bool IsAbandoned(string dir, bool masterRunning)
    {
        try
        {
            return !InstanceDirectory.IsLiveOwner(File.ReadAllText(Path.Combine(dir, OwnerFile)).Trim());
        }
        catch (IOException)
        {
            // No owner: a start between making the directory and Claim(), or a test process of a version that wrote
            // none (another checkout's tests may be running now): only its files are removed, once it has stopped.
            return !masterRunning && Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow - OwnerlessGrace;
        }
    }

    /// <summary>The instance's master, when one runs: the pid file's process, if its command line names the instance.</summary>
    private static int? Master(string dir, string pidFile)
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid) || pid <= 0) return null;
            // The pid may have been reused by another process since.
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(dir, StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Kill(int pid)
    {
        Libc.Signal(pid, Libc.SigTerm);
        for (var i = 0; i < 60 && Directory.Exists($"/proc/{pid}"); i++)
            Thread.Sleep(50);
        Libc.Signal(pid, Libc.SigKill);
    }
}
