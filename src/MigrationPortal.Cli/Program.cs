using System.Runtime.InteropServices;
using MigrationPortal.Cli;
using MigrationPortal.Cli.Arguments;

// Ctrl+C (or SIGTERM) once: stop at the next message boundary with progress saved. Twice: abort.
using var stop = new CancellationTokenSource();
using var abort = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (!stop.IsCancellationRequested)
    {
        Console.Error.WriteLine("Stopping at the next message (progress is saved); press Ctrl+C again to abort.");
        stop.Cancel();
    }
    else
    {
        abort.Cancel();
    }
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

var env = new CliEnvironment(Console.Out, Console.Error, Environment.GetEnvironmentVariable,
    PasswordSource.TerminalPrompt(Console.Error), Environment.CurrentDirectory);
return await Migrator.RunAsync(args, env, stop.Token, abort.Token);
