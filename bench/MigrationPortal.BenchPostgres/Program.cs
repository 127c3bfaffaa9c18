// Holds the tests' private PostgreSQL (initdb under /tmp/mp-postgres, loopback only) while a bench script runs, and
// answers one command a line on stdin:
//   create        a new, empty database: "NAME CONNECTION-STRING" (the connection string holds the server's password,
//                 so the script passes it to the portal in an environment variable only)
//   drop NAME     drops it: "dropped NAME"
// When stdin closes (the script ended) the server is stopped and its files deleted, and so it is on SIGTERM, SIGINT or
// SIGHUP (an interrupted script's process group).
using System.Runtime.InteropServices;
using MigrationPortal.Fixtures.Postgres;
using Npgsql;

var server = await PostgresServer.SharedAsync();
// With the runtime's own handling of these signals the process ended and left the server running (tried with SIGTERM);
// Environment.Exit runs the fixture's ProcessExit handler, which stops it.
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Exit);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Exit);
using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Exit);
Console.Error.WriteLine($"postgres: private server on {server.Host}:{server.Port}");
while (Console.ReadLine() is { } line)
{
    var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    switch (words)
    {
        case ["create"]:
        {
            var name = await server.CreateDatabaseAsync("bench");
            // Npgsql's own pool settings, as an installed portal has them; the fixtures' small pool is for many short-lived test portals.
            var defaults = new NpgsqlConnectionStringBuilder();
            var connection = new NpgsqlConnectionStringBuilder(server.ConnectionString(name))
            {
                MaxPoolSize = defaults.MaxPoolSize,
                ConnectionIdleLifetime = defaults.ConnectionIdleLifetime,
                ConnectionPruningInterval = defaults.ConnectionPruningInterval,
            };
            Console.WriteLine($"{name} {connection.ConnectionString}");
            break;
        }
        case ["drop", var name]:
            await server.DropDatabaseAsync(name);
            Console.WriteLine($"dropped {name}");
            break;
        default:
            Console.WriteLine($"error: unknown command '{line}'");
            break;
    }
}
return 0;

static void Exit(PosixSignalContext context)
{
    context.Cancel = true;
    // A shell's exit status for death by that signal (PosixSignal's values are not the signal numbers).
    Environment.Exit(context.Signal switch { PosixSignal.SIGHUP => 129, PosixSignal.SIGINT => 130, _ => 143 });
}
