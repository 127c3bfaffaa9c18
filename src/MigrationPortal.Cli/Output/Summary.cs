using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Cli.Output;

/// <summary>What a run ends with on stdout: a few lines for a person, or one JSON object for a script (--json).</summary>
public static class Summary
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write(TextWriter output, PassResult result, string outcome, int exitCode, string stateFile, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        var seconds = result.Duration.TotalSeconds;
        var rate = seconds > 0 ? result.MessagesCopied / seconds : 0;
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                outcome,
                exitCode,
                folders = result.Folders,
                foldersUnchanged = result.FoldersUnchanged,
                messagesFound = result.MessagesFound,
                messagesCopied = result.MessagesCopied,
                messagesSkipped = result.MessagesSkipped,
                flagsUpdated = result.FlagsUpdated,
                messagesFailed = result.FailedMessages.Count,
                bytesFound = result.BytesFound,
                bytesCopied = result.BytesCopied,
                durationSeconds = Math.Round(seconds, 3),
                messagesPerSecond = Math.Round(rate, 1),
                failed = result.FailedMessages,
                stateFile,
            }, Json));
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(outcome switch
        {
            "completed" => "Pass completed.",
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
        output.WriteLine(string.Create(inv, $"  duration  {seconds:0.0} s, {rate:0.#} msgs/s"));
        output.WriteLine($"  state     {stateFile}");
    }

    /// <summary>For a run that ended without a pass result: --json still prints one object, so a script can parse it.</summary>
    public static void WriteFailure(TextWriter output, string outcome, int exitCode, string? side, string message, bool json)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new { outcome, exitCode, side, error = message }, Json));
    }
}
