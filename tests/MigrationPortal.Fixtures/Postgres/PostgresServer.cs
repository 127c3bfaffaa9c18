using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MigrationPortal.Fixtures.Dovecot;
using Npgsql;

namespace MigrationPortal.Fixtures.Postgres;

/// <summary>
/// A private PostgreSQL from Debian's <c>postgresql</c> package, for one test process: its own data directory under
/// <see cref="RootPath"/>, listening on a free loopback port only, a password login, started with <c>pg_ctl</c> and
/// stopped when the process ends (never the system's cluster). Durability is switched off (fsync, synchronous commit,
/// full-page writes): a crashed test run loses its throwaway databases, and the tests run at memory speed. Each test
/// portal gets a database of its own (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public sealed class PostgresServer
{
    public const string RootPath = "/tmp/mp-postgres";
    public const string User = "portal";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<Task<PostgresServer>> SharedInstance = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _dir;
    private readonly string _password;

    private PostgresServer(string dir, int port, string password)
    {
        _dir = dir;
        Port = port;
        _password = password;
    }

    /// <summary>The one instance of this test process, started on first use and stopped when the process exits.</summary>
    public static Task<PostgresServer> SharedAsync() => SharedInstance.Value;

    public string Host => "127.0.0.1";
    public int Port { get; }

    private string Data => Path.Combine(_dir, "data");
    private string Log => Path.Combine(_dir, "postgres.log");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Username = User, Password = _password, Database = database,
            // Many short-lived test portals, each with its own pool: keep the server's connection count low.
            MaxPoolSize = 20, ConnectionIdleLifetime = 5, ConnectionPruningInterval = 1,
        }.ConnectionString;

    /// <summary>A new, empty database; its name is returned.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "portal")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 63)];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync().ConfigureAwait(false);
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        return name;
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync().ConfigureAwait(false);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Everything a database holds, as <c>pg_dump</c> writes it (plain SQL): what a test searches for secrets in clear.</summary>
    public async Task<byte[]> DumpAsync(string database)
    {
        var start = new ProcessStartInfo(Path.Combine(BinDirectory(), "pg_dump"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", User, "-d", database, "--no-owner"])
            start.ArgumentList.Add(a);
        start.Environment["PGPASSWORD"] = _password;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pg_dump did not start.");
        using var dump = new MemoryStream();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(dump).ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pg_dump exited with {process.ExitCode}: {await error.ConfigureAwait(false)}");
        return dump.ToArray();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The private PostgreSQL runs on Linux (Debian's postgresql package).");
        var bin = BinDirectory();
        RemoveAbandoned(bin);
        Directory.CreateDirectory(RootPath);
        File.SetUnixFileMode(RootPath, (UnixFileMode)0b111_101_101);
        var dir = Path.Combine(RootPath, "pg" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "owner"), InstanceDirectory.ProcessIdentity(Environment.ProcessId));
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var passwordFile = Path.Combine(dir, "password");
        File.WriteAllText(passwordFile, password);
        // PostgreSQL refuses to run as root: as root, its files belong to the package's postgres user and it runs as that.
        if (Libc.IsRoot)
        {
            var (uid, gid) = Libc.LookUpUser("postgres")
                ?? throw new InvalidOperationException("The OS user postgres is missing: run ./test.sh (it installs Debian's postgresql).");
            Libc.Chown(dir, uid, gid);
            Libc.Chown(passwordFile, uid, gid);
        }
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var data = Path.Combine(dir, "data");
        await RunAsync(Path.Combine(bin, "initdb"), "-D", data, "-U", User, "--auth=scram-sha-256", $"--pwfile={passwordFile}",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").ConfigureAwait(false);
        File.Delete(passwordFile);

        // The port is free when picked but not reserved: a lost race is retried on another.
        for (var attempt = 1; ; attempt++)
        {
            var port = MigrationPortal.Fixtures.LoopbackPort.Free();
            var server = new PostgresServer(dir, port, password);
            try
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"), "-D", data, "-l", server.Log, "-w", "-t", ((int)StartTimeout.TotalSeconds).ToString(),
                    "-o", $"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={dir} -c fsync=off -c synchronous_commit=off " +
                          "-c full_page_writes=off -c max_connections=300", "start").ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                continue;
            }
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop(bin);
            return server;
        }
    }

    /// <summary>Stops the server at once (nothing in it is worth keeping) and deletes its files.</summary>
    private void Stop(string bin)
    {
        try
        {
            RunAsync(Path.Combine(bin, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "stop").GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Servers left by test processes that are gone (a crash, a kill): stopped and deleted.</summary>
    private static void RemoveAbandoned(string bin)
    {
        if (!Directory.Exists(RootPath)) return;
        foreach (var dir in Directory.EnumerateDirectories(RootPath))
        {
            string owner;
            try { owner = File.ReadAllText(Path.Combine(dir, "owner")).Trim(); } catch (IOException) { continue; }
            if (InstanceDirectory.IsLiveOwner(owner)) continue; // still in use
            new PostgresServer(dir, 0, "").Stop(bin);
        }
    }

    private static string BinDirectory()
    {
        const string versions = "/usr/lib/postgresql";
        var bin = Directory.Exists(versions)
            ? Directory.EnumerateDirectories(versions).Select(v => Path.Combine(v, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException($"PostgreSQL's initdb is missing under {versions}: run ./test.sh (it installs Debian's postgresql).");
    }

    /// <summary>Runs a PostgreSQL program, as the postgres user when this process is root; throws with its output when it fails.</summary>
    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(Libc.IsRoot ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (Libc.IsRoot)
        {
            foreach (var a in (string[])["-u", "postgres", "--", program]) start.ArgumentList.Add(a);
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
    }
}
