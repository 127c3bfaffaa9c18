using System.Runtime.InteropServices;

namespace MigrationPortal.Fixtures.Dovecot;

// The few POSIX calls .NET has no API for: chown, sending SIGTERM (Process.Kill only sends SIGKILL),
// and looking up an OS user.
internal static class Libc
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true, EntryPoint = "chown")]
    private static extern int ChownNative(string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int KillNative(int pid, int signal);

    [DllImport("libc", SetLastError = true, EntryPoint = "getpwnam")]
    private static extern IntPtr GetPwNamNative(string name);

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public IntPtr Name;
        public IntPtr Password;
        public uint Uid;
        public uint Gid;
        public IntPtr Gecos;
        public IntPtr Dir;
        public IntPtr Shell;
    }

    public static bool IsRoot => geteuid() == 0;

    public static (uint Uid, uint Gid)? LookUpUser(string name)
    {
        var entry = GetPwNamNative(name);
        if (entry == IntPtr.Zero)
            return null;
        var passwd = Marshal.PtrToStructure<Passwd>(entry);
        return (passwd.Uid, passwd.Gid);
    }

    public static void Chown(string path, uint uid, uint gid)
    {
        if (ChownNative(path, uid, gid) != 0)
            throw new IOException($"chown({path}, {uid}, {gid}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <returns>false when the process no longer exists.</returns>
    public static bool Signal(int pid, int signal) => KillNative(pid, signal) == 0;
}
