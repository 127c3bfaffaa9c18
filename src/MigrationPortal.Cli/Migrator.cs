using System.Text;
using MigrationPortal.Cli.Arguments;
using MigrationPortal.Cli.Output;
using MigrationPortal.Cli.State;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Cli;

public static class ExitCodes
{
    public const int Completed = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int CredentialsRefused = 3;
    public const int Unreachable = 4;
    public const int Stopped = 5;
}

/// <summary>What the migrator sees of its process: the output streams, the environment, a terminal to ask on.</summary>
/// <param name="Prompt">Asks for a password without echo; null when there is no terminal to ask on.</param>
public sealed record CliEnvironment(TextWriter Out, TextWriter Error, Func<string, string?> Variables, Func<string, string?>? Prompt,
    string WorkingDirectory)
{
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public IImapConnector Connector { get; init; } = new ImapConnector();
}

/// <summary>The <c>migrate</c> command: one pass of one mailbox, the exit code saying how it ended.</summary>
public static class Migrator
{
    /// <param name="stop">The first Ctrl+C: the pass ends at the next message boundary with its progress saved.</param>
    /// <param name="abort">The second: it ends at once.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliEnvironment env, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(env);
        MigrateArguments? request;
        string sourcePassword, destinationPassword;
        try
        {
            request = MigrateArguments.Parse(args);
            if (request is null)
            {
                env.Out.WriteLine(MigrateArguments.Usage);
                return ExitCodes.Completed;
            }
            var passwords = new PasswordSource(env.Variables, env.Prompt);
            sourcePassword = passwords.Get("source", request.Source);
            destinationPassword = passwords.Get("destination", request.Destination);
        }
        catch (UsageException e)
        {
            env.Error.WriteLine($"migrate: {e.Message}");
            env.Error.WriteLine();
            env.Error.WriteLine(MigrateArguments.Usage);
            return ExitCodes.Usage;
        }

        var json = request.Json;
        var secrets = new[] { sourcePassword, destinationPassword };
        var pair = $"{request.Source} -> {request.Destination}";
        var statePath = Path.GetFullPath(request.StateFile ?? DefaultStateFile(request), env.WorkingDirectory);
        JsonCheckpointStore state;
        try
        {
            state = JsonCheckpointStore.Open(statePath, pair);
        }
        catch (Exception e) when (e is StateFileLockedException or StateFileException)
        {
            return Fail(env, json, ExitCodes.Failed, "state", e.Message, secrets);
        }

        using (state)
        {
            env.Error.WriteLine($"Migrating {request.Source} to {request.Destination} ({Describe(request.Pass)}).");
            env.Error.WriteLine(state.FoldersKnown == 0
                ? $"State file: {state.Path} (new)"
                : $"State file: {state.Path} ({state.FoldersKnown} folders checkpointed by earlier runs)");
            var checkpoints = new ProgressCheckpoints(state, env.Error, env.Time);
            var migration = new MailboxMigration(env.Connector, RetryPolicy.Default with { MaxRetries = request.Retries }, env.Time)
            {
                FoldersAtOnce = request.FoldersAtOnce,
                OnRetry = (e, delay) => env.Error.WriteLine(Redact(
                    $"A transient fault ({e.Message}); trying the pass again in {delay.TotalSeconds:0} s from its checkpoints.", secrets)),
            };
            try
            {
                var result = await migration.RunAsync(
                    new MigrationSide(request.Source.Endpoint, new ImapLogin(request.Source.Login, sourcePassword)),
                    new MigrationSide(request.Destination.Endpoint, new ImapLogin(request.Destination.Login, destinationPassword)),
                    checkpoints, request.Pass, stop, abort);
                var (outcome, code) = result.TooManyRefused ? ("failed", ExitCodes.Failed)
                    : result.Stopped ? ("stopped", ExitCodes.Stopped)
                    : ("completed", ExitCodes.Completed);
                var summary = new StringWriter();
                Summary.Write(summary, result, outcome, code, state.Path, json);
                env.Out.Write(Redact(summary.ToString(), secrets));
                return code;
            }
            catch (MigrationSideException e)
            {
                var side = e.IsSource ? "source" : "destination";
                var host = e.IsSource ? request.Source.Endpoint : request.Destination.Endpoint;
                return e.Failure == ImapConnectFailure.Rejected
                    ? Fail(env, json, ExitCodes.CredentialsRefused, side,
                        $"The {side} ({host.Host}) refused the login of {(e.IsSource ? request.Source : request.Destination).Login}: {e.Detail}", secrets)
                    : Fail(env, json, ExitCodes.Unreachable, side, $"The {side} server could not be reached: {e.Detail}", secrets);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                return Fail(env, json, ExitCodes.Stopped, null,
                    "Aborted. What the last saved checkpoint records is kept; the next run goes on from there.", secrets);
            }
            catch (Exception e) when (e is IOException or MailKit.ProtocolException or MailKit.CommandException
                or MailKit.ServiceNotConnectedException or MailKit.FolderNotFoundException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return Fail(env, json, ExitCodes.Failed, null,
                    $"The pass failed: {e.Message} What was saved before is kept; the next run goes on from there.", secrets);
            }
        }
    }

    /// <summary>Both sides' user and host, so two mailboxes migrated from one folder never share a state file.</summary>
    internal static string DefaultStateFile(MigrateArguments request)
    {
        static string Part(ImapUrl url) => $"{url.Login}@{url.Endpoint.Host}";
        var name = new StringBuilder("migrate-");
        foreach (var c in $"{Part(request.Source)}--{Part(request.Destination)}")
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '@' or '.' or '-' or '_' ? c : '_');
        return name.Append(".state.json").ToString();
    }

    private static string Describe(PassOptions pass) => pass.Kind switch
    {
        PassKind.PreStage => $"pre-stage pass, mail before {pass.PreStageBefore:u}",
        PassKind.RetryErrors => "retry-errors pass",
        var kind => $"{kind.ToString().ToLowerInvariant()} pass",
    };

    private static int Fail(CliEnvironment env, bool json, int code, string? side, string message, string[] secrets)
    {
        message = Redact(message, secrets);
        env.Error.WriteLine($"migrate: {message}");
        Summary.WriteFailure(env.Out, code switch
        {
            ExitCodes.CredentialsRefused => "credentials-refused",
            ExitCodes.Unreachable => "unreachable",
            ExitCodes.Stopped => "aborted",
            _ => "failed",
        }, code, side, message, json);
        return code;
    }

    // The connector never builds a message from a password, but a server may echo odd things back.
    private static string Redact(string text, string[] secrets)
    {
        foreach (var secret in secrets)
            if (secret.Length >= 3)
                text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }
}
