using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Cli.Output;

/// <summary>What a run ends with on stdout: a few lines for a person, or one JSON object for a script (--json).</summary>
public static partial class Summary
{
    /// <summary>
    /// The --json line: a script reads these names. <paramref name="RenamedFolders"/> ({source, destination, reason}) and
    /// <paramref name="Fallbacks"/> ({side, extension, instead}) are objects like <paramref name="Failed"/>'s, empty when none.
    /// </summary>
    private sealed record PassJson(string Outcome, int ExitCode, int Folders, int FoldersUnchanged, int MessagesFound,
        int MessagesCopied, int MessagesSkipped, int FlagsUpdated, int MessagesFailed, long BytesFound, long BytesCopied,
        double DurationSeconds, double MessagesPerSecond, IReadOnlyList<FailedMessage> Failed, string StateFile,
        IReadOnlyList<FolderRename> RenamedFolders, IReadOnlyList<ExtensionFallback> Fallbacks);

    private sealed record FailureJson(string Outcome, int ExitCode, string? Side, string Error);

    /// <summary>Generated at compile time (System.Text.Json source generation), not by reflection at run time.</summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(PassJson))]
    [JsonSerializable(typeof(FailureJson))]
    private sealed partial class SummaryJson : JsonSerializerContext;

    public static void Write(TextWriter output, PassResult result, string outcome, int exitCode, string stateFile, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        var seconds = result.Duration.TotalSeconds;
        var rate = seconds > 0 ? result.MessagesCopied / seconds : 0;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new PassJson(outcome, exitCode, result.Folders, result.FoldersUnchanged,
                result.MessagesFound, result.MessagesCopied, result.MessagesSkipped, result.FlagsUpdated,
                result.FailedMessages.Count, result.BytesFound, result.BytesCopied, Math.Round(seconds, 3),
                Math.Round(rate, 1), result.FailedMessages, stateFile, result.RenamedFolders, result.Fallbacks), SummaryJson.Default.PassJson));
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(outcome switch
        {
            "completed" => "Pass completed.",
            "failed" => "Pass failed: the destination refused more messages than --max-errors allows, and the pass stopped there (they are listed below). The next run goes on from here.",
            _ => "Pass stopped; the next run goes on from here.",
        });
        output.WriteLine(result.FoldersUnchanged > 0
            ? string.Create(inv, $"  folders   {result.Folders} ({result.FoldersUnchanged} unchanged since the last pass, not opened)")
            : string.Create(inv, $"  folders   {result.Folders}"));
        output.WriteLine(string.Create(inv, $"  found     {result.MessagesFound} messages ({Bytes.Format(result.BytesFound)})"));
        output.WriteLine(string.Create(inv, $"  copied    {result.MessagesCopied} messages ({Bytes.Format(result.BytesCopied)})"));
        output.WriteLine(string.Create(inv, $"  skipped   {result.MessagesSkipped} (already in the destination)"));
        if (result.FlagsUpdated > 0)
            output.WriteLine(string.Create(inv, $"  flags     {result.FlagsUpdated} messages updated (changed on the source since the last pass)"));
        output.WriteLine(string.Create(inv, $"  failed    {result.FailedMessages.Count}"));
        foreach (var f in result.FailedMessages)
            output.WriteLine(string.Create(inv, $"    {f.Folder} UID {f.Uid} \"{f.Subject}\" ({Bytes.Format(f.Size)}): {f.ServerAnswer}"));
        // What the pass did differently because of the servers: a folder under another name, an extension done without.
        foreach (var rename in result.RenamedFolders)
            output.WriteLine($"  renamed   {rename}");
        foreach (var fallback in result.Fallbacks)
            output.WriteLine($"  server    {fallback}");
        output.WriteLine(string.Create(inv, $"  duration  {seconds:0.0} s, {rate:0.#} msgs/s"));
        output.WriteLine($"  state     {stateFile}");
    }

    /// <summary>For a run that ended without a pass result: --json still prints one object, so a script can parse it.</summary>
    public static void WriteFailure(TextWriter output, string outcome, int exitCode, string? side, string message, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new FailureJson(outcome, exitCode, side, message), SummaryJson.Default.FailureJson));
    }
}
