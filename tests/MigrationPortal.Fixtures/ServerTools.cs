using System.Diagnostics;
using MailKit.Net.Imap;
using MailKit.Security;

namespace MigrationPortal.Fixtures;

/// <summary>What the private Cyrus and Courier fixtures both need: running a server's own tool, and a plain IMAP login.</summary>
internal static class ServerTools
{
    /// <summary>Runs the tool to its end, <paramref name="input"/> on its standard input; its error output is the exception's message when it fails.</summary>
    public static async Task RunAsync(string file, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardInput = input is not null, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {process.ExitCode}: {(await error).Trim()}");
    }

    public static async Task<ImapClient> LogInAsync(string host, int port, string login, string password)
    {
        var client = new ImapClient();
        await client.ConnectAsync(host, port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        return client;
    }
}
