namespace MigrationPortal.Cli.Arguments;

/// <summary>
/// Where a side's password comes from: its environment variable, else a prompt without echo when standard input is
/// a terminal, else a clear error. Never the command line, where the shell history and the process list keep it.
/// </summary>
public sealed class PasswordSource(Func<string, string?> environment, Func<string, string?>? prompt)
{
    public const string SourceVariable = "MIGRATE_SOURCE_PASSWORD";
    public const string DestinationVariable = "MIGRATE_DESTINATION_PASSWORD";

    public static string VariableFor(string side) => side == "source" ? SourceVariable : DestinationVariable;

    /// <param name="side">"source" or "destination".</param>
    public string Get(string side, ImapUrl url)
    {
        if (environment(VariableFor(side)) is { Length: > 0 } fromEnvironment)
            return fromEnvironment;
        if (prompt is not null && prompt($"Password for {url.Login} on the {side} ({url.Endpoint.Host}): ") is { Length: > 0 } typed)
            return typed;
        throw new UsageException(prompt is null
            ? $"No password for the {side}: set {VariableFor(side)}, or run in a terminal to be asked for it."
            : $"No password typed for the {side}.");
    }

    /// <summary>Reads a line from the terminal without showing it; null when standard input is not a terminal.</summary>
    public static Func<string, string?>? TerminalPrompt(TextWriter promptTo)
    {
        if (Console.IsInputRedirected)
            return null;
        return question =>
        {
            promptTo.Write(question);
            promptTo.Flush();
            var typed = new System.Text.StringBuilder();
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                    break;
                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Length > 0) typed.Length--;
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }
            promptTo.WriteLine();
            return typed.ToString();
        };
    }
}
