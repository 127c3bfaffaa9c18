using System.Globalization;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Cli.Arguments;

/// <summary>What <c>migrate</c> was asked to do. There is deliberately no password option: see <see cref="PasswordSource"/>.</summary>
public sealed record MigrateArguments(ImapUrl Source, ImapUrl Destination, PassOptions Pass, string? StateFile, bool Json)
{
    /// <summary>How often a pass is tried again after a dropped connection or an unreachable server.</summary>
    public int Retries { get; init; } = RetryPolicy.Default.MaxRetries;

    /// <summary>Folders copied at once, each over its own three connections.</summary>
    public int FoldersAtOnce { get; init; } = MailboxMigration.DefaultFoldersAtOnce;

    public const string Usage = """
        Usage: migrate --source URL --destination URL [options]

          --source URL, --destination URL
                imaps://user@host[:port]   TLS on connect (port 993 by default)
                imap://user@host[:port]    STARTTLS (port 143 by default)
                A login containing '@' may be written as is or with %40.
          --pass full|delta|prestage|retry-errors   the kind of pass (default full)
          --before DATE        with --pass prestage: copy messages received before DATE (e.g. 2026-01-31)
          --state FILE         the checkpoint file (default: a name derived from both sides, in this folder)
          --source-tls MODE, --destination-tls MODE
                none|starttls|tls: overrides the URL's scheme; none sends the password in plain text
          --source-pin SHA256, --destination-pin SHA256
                accept exactly this certificate (its SHA-256 fingerprint, as a refusal shows it) instead of
                the system's validation: for a server with a self-signed certificate; needs TLS or STARTTLS
          --retries N          try a pass again up to N times (default 5, waits doubling from 2 s) after a
                               dropped connection or an unreachable server; 0 fails at once
          --max-errors N       end the pass as failed once the destination refused more than N messages
                               (default 100; each is listed in the summary and the state file)
          --folders-at-once N  copy N folders at the same time, each over its own 3 connections (default 2;
                               1 for a server that allows few connections per user)
          --json               print the summary as one JSON object
          --help               this text

        Passwords are read from MIGRATE_SOURCE_PASSWORD and MIGRATE_DESTINATION_PASSWORD, or asked for
        when standard input is a terminal; never from the command line.
        Exit codes: 0 pass completed, 1 failed, 2 usage error, 3 credentials refused, 4 server unreachable,
        5 stopped (Ctrl+C).
        """;

    /// <returns>Null when help was asked for.</returns>
    public static MigrateArguments? Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            throw new UsageException("No command given.");
        if (args[0] is "--help" or "-h" or "help")
            return null;
        if (args[0] != "migrate")
            throw new UsageException($"Unknown command '{args[0]}'; the only command is 'migrate'.");

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var json = false;
        for (var i = 1; i < args.Count; i++)
        {
            var (name, inline) = args[i].IndexOf('=') is var eq and > 2 && args[i].StartsWith("--", StringComparison.Ordinal)
                ? (args[i][..eq], args[i][(eq + 1)..])
                : (args[i], null);
            switch (name)
            {
                case "--help" or "-h":
                    return null;
                case "--json":
                    json = true;
                    break;
                case "--source" or "--destination" or "--pass" or "--before" or "--state" or "--source-tls" or "--destination-tls"
                    or "--retries" or "--folders-at-once" or "--max-errors" or "--source-pin" or "--destination-pin":
                    var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value."));
                    if (!values.TryAdd(name, value))
                        throw new UsageException($"{name} is given twice.");
                    break;
                case var password when password.Contains("pass", StringComparison.OrdinalIgnoreCase) && password.StartsWith('-'):
                    // Never echo what follows: it may be the password itself.
                    throw new UsageException(
                        $"There is no {name} option: passwords are read from MIGRATE_SOURCE_PASSWORD and " +
                        "MIGRATE_DESTINATION_PASSWORD or the prompt, never from the command line.");
                case var other when other.StartsWith('-'):
                    throw new UsageException($"Unknown option '{other}'.");
                default:
                    throw new UsageException($"Unexpected argument at position {i + 1}; options are written --name value.");
            }
        }

        var source = ImapUrl.Parse(Required(values, "--source"), "source");
        var destination = ImapUrl.Parse(Required(values, "--destination"), "destination");
        source = WithTls(source, values.GetValueOrDefault("--source-tls"), values.GetValueOrDefault("--source-pin"), "source");
        destination = WithTls(destination, values.GetValueOrDefault("--destination-tls"), values.GetValueOrDefault("--destination-pin"), "destination");
        var pass = ParsePass(values) with
        {
            MaxMessageErrors = values.TryGetValue("--max-errors", out var errors) ? ParseMaxErrors(errors) : DefaultMaxErrors,
        };
        return new MigrateArguments(source, destination, pass, values.GetValueOrDefault("--state"), json)
        {
            Retries = values.TryGetValue("--retries", out var retries) ? ParseRetries(retries) : RetryPolicy.Default.MaxRetries,
            FoldersAtOnce = values.TryGetValue("--folders-at-once", out var lanes) ? ParseFoldersAtOnce(lanes) : MailboxMigration.DefaultFoldersAtOnce,
        };
    }

    private static int ParseRetries(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100
            ? n
            : throw new UsageException($"--retries must be a whole number from 0 to 100, not '{text}'.");

    /// <summary>As the portal's Migration:MaxMessageErrors.</summary>
    public const int DefaultMaxErrors = 100;

    private static int ParseMaxErrors(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1_000_000
            ? n
            : throw new UsageException($"--max-errors must be a whole number from 0 to 1000000, not '{text}'.");

    private static int ParseFoldersAtOnce(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 8
            ? n
            : throw new UsageException($"--folders-at-once must be a whole number from 1 to 8, not '{text}'.");

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) ? value : throw new UsageException($"{name} is required.");

    private static ImapUrl WithTls(ImapUrl url, string? mode, string? pin, string side)
    {
        if (mode is null && pin is null)
            return url;
        var security = mode?.ToLowerInvariant() switch
        {
            null => url.Endpoint.Security,
            "none" => TlsMode.None,
            "starttls" => TlsMode.StartTls,
            "tls" => TlsMode.Tls,
            _ => throw new UsageException($"--{side}-tls must be none, starttls or tls, not '{mode}'."),
        };
        try
        {
            return url with { Endpoint = new ImapEndpoint(url.Endpoint.Host, url.Endpoint.Port, security, pin) };
        }
        catch (DomainValidationException e)
        {
            throw new UsageException($"--{side}-pin: {e.Message}");
        }
    }

    private static PassOptions ParsePass(Dictionary<string, string> values)
    {
        var kind = values.GetValueOrDefault("--pass", "full").ToLowerInvariant();
        var before = values.GetValueOrDefault("--before");
        if (before is not null && kind != "prestage")
            throw new UsageException("--before goes with --pass prestage only.");
        return kind switch
        {
            "full" => PassOptions.Full,
            "delta" => new PassOptions { Kind = PassKind.Delta },
            "retry-errors" => new PassOptions { Kind = PassKind.RetryErrors },
            "prestage" => PassOptions.PreStage(before is null
                ? throw new UsageException("--pass prestage needs --before DATE.")
                : ParseDate(before)),
            _ => throw new UsageException($"--pass must be full, delta, prestage or retry-errors, not '{kind}'."),
        };
    }

    // A bare date is midnight UTC of that day; a time without an offset is UTC too, so the result is the same on any machine.
    private static DateTimeOffset ParseDate(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw new UsageException($"--before '{text}' is not a date; write it as 2026-01-31 or 2026-01-31T12:00:00+01:00.");
}
