// Holds the tests' private IMAP servers (tests/MigrationPortal.Fixtures) while bench/interop.sh runs:
//   MigrationPortal.BenchServers KIND[,KIND...] --users U1,U2,...
//   MigrationPortal.BenchServers --list        prints the kinds it knows, comma-separated
// starts one server of each kind (each on its own loopback port, plain IMAP), adds every user to every server with the
// password in BENCH_PASSWORD, prints one line per server, "KIND HOST PORT PREFIX CONFIG" (PREFIX: the personal namespace's
// prefix without its delimiter, as the first user sees it, "-" when empty: "INBOX" on Cyrus, what dsync's imapc_list_prefix
// needs; CONFIG: the dovecot.conf doveadm is run with, "-" for the others), then "ready". When stdin closes (the script
// ended) every server is stopped and its files deleted, and so they are on SIGTERM, SIGINT or SIGHUP (an interrupted
// script's process group).
using System.Runtime.InteropServices;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Courier;
using MigrationPortal.Fixtures.Cyrus;
using MigrationPortal.Fixtures.Dovecot;

// The kinds of server, and so the pairs bench/interop.sh runs: adding one is one line here (a fixture with Host, Port,
// InitializeAsync, DisposeAsync and AddUserAsync).
var kinds = new Dictionary<string, Func<Held>>(StringComparer.OrdinalIgnoreCase)
{
    ["dovecot"] = () => Held.Of(new DovecotServer(), s => (s.Host, s.Port), s => s.InitializeAsync(), s => s.DisposeAsync(), (s, u, p) => s.AddUserAsync(u, p), s => s.ConfigFile),
    ["cyrus"] = () => Held.Of(new CyrusServer(), s => (s.Host, s.Port), s => s.InitializeAsync(), s => s.DisposeAsync(), (s, u, p) => s.AddUserAsync(u, p)),
    ["courier"] = () => Held.Of(new CourierServer(), s => (s.Host, s.Port), s => s.InitializeAsync(), s => s.DisposeAsync(), (s, u, p) => s.AddUserAsync(u, p)),
};

if (args is ["--list"])
{
    // The kinds bench/interop.sh pairs by default.
    Console.WriteLine(string.Join(',', kinds.Keys));
    return 0;
}
if (args.Length < 1 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine($"usage: MigrationPortal.BenchServers KIND[,KIND...] --users U1,U2,...  (kinds: {string.Join(", ", kinds.Keys)})");
    return 2;
}
var password = Environment.GetEnvironmentVariable("BENCH_PASSWORD") is { Length: > 0 } pw ? pw : throw new ArgumentException("BENCH_PASSWORD is not set.");
var usersAt = Array.IndexOf(args, "--users");
var users = usersAt >= 0 && usersAt + 1 < args.Length ? args[usersAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];

var stop = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    // A shell's exit status for death by that signal (PosixSignal's values are not the signal numbers).
    stop.TrySetResult(context.Signal switch { PosixSignal.SIGHUP => 129, PosixSignal.SIGINT => 130, _ => 143 });
}
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

var held = new List<(string Kind, Held Server)>();
var status = 0;
try
{
    foreach (var kind in args[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
    {
        if (!kinds.TryGetValue(kind, out var make))
            throw new ArgumentException($"unknown kind of server '{kind}' (known: {string.Join(", ", kinds.Keys)})");
        var server = make();
        held.Add((kind.ToLowerInvariant(), server));
        await server.Start();
        foreach (var user in users)
            await server.AddUser(user, password);
        var (host, port) = server.Address();
        var prefix = users.Length == 0 ? "" : await PersonalPrefixAsync(host, port, users[0], password);
        Console.Error.WriteLine($"servers: {kind} on {host}:{port}, {users.Length} users, personal namespace '{prefix}'");
        Console.WriteLine($"{kind.ToLowerInvariant()} {host} {port} {(prefix.Length == 0 ? "-" : prefix)} {server.Config() ?? "-"}");
    }
    Console.WriteLine("ready");
    var closed = Task.Run(() => { while (Console.ReadLine() is not null) { } return 0; });
    status = await await Task.WhenAny(closed, stop.Task);
}
catch (Exception e)
{
    Console.Error.WriteLine($"servers: {e.Message}");
    Console.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
    status = 1;
}
finally
{
    foreach (var (kind, server) in Enumerable.Reverse(held))
    {
        try
        {
            await server.Stop();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"servers: stopping {kind}: {e.Message}");
        }
    }
}
return status;

static async Task<string> PersonalPrefixAsync(string host, int port, string user, string password)
{
    using var client = new ImapClient();
    await client.ConnectAsync(host, port, SecureSocketOptions.None);
    await client.AuthenticateAsync(user, password);
    var ns = client.PersonalNamespaces[0];
    await client.DisconnectAsync(quit: true);
    return ns.Path.TrimEnd(ns.DirectorySeparator);
}

/// <summary>One running fixture, whatever its class.</summary>
internal sealed record Held(Func<(string Host, int Port)> Address, Func<Task> Start, Func<Task> Stop, Func<string, string, Task> AddUser, Func<string?> Config)
{
    public static Held Of<T>(T server, Func<T, (string, int)> address, Func<T, Task> start, Func<T, Task> stop, Func<T, string, string, Task> addUser,
        Func<T, string>? config = null) =>
        new(() => address(server), () => start(server), () => stop(server), (u, p) => addUser(server, u, p), () => config?.Invoke(server));
}
