using System.Text.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Cli;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Cli.Tests;

/// <summary>
/// Two Dovecots that differ (issue 16). The source stores folders as directories (maildir LAYOUT=fs), so it takes a
/// '.' inside a name; the destination keeps Dovecot's default Maildir++ layout, which refuses one ("Character not
/// allowed in mailbox name: '.'"), and advertises no MULTIAPPEND after login. (Two default Dovecots refuse the same
/// names, and a '.'-separated source cannot hold a '/' either: this is the pair that works.)
/// </summary>
public sealed class DifferingDovecots : IAsyncLifetime
{
    public DovecotServer Source { get; } = new() { ExtraConfig = DovecotServer.DirectoryLayout };
    public DovecotServer Destination { get; } = new() { ExtraConfig = DovecotServer.CapabilitiesWithout("MULTIAPPEND") };

    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}

/// <summary>The migrator's summary says what it did differently because of the servers: a folder renamed, an extension done without.</summary>
public sealed class ServerDifferencesOutputTests(DifferingDovecots servers) : IClassFixture<DifferingDovecots>, IDisposable
{
    private const string Password = "pass-Word-1";
    // Dovecot ends its answer with how long the command took, "(0.001 + 0.000 secs).": the reason is its words as they were.
    private const string Rename = "Q3.2026 → Q3_2026 (the destination refused the name: Character not allowed in mailbox name: '.'";
    private const string NoMultiAppend = "The destination has no MULTIAPPEND: one APPEND command per message instead of up to 50 in one.";
    private readonly string _dir = Directory.CreateTempSubdirectory("mp-cli-").FullName;

    [Fact]
    public async Task Migrate_DestinationRefusesAFolderNameAndLacksMultiAppend_TheSummarySaysBoth()
    {
        var user = "diff" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "INBOX", "two");
        await AppendAsync(user, "Q3.2026", "report");

        var text = await RunAsync(user, "--state", Path.Combine(_dir, "text.json"));

        Assert.Equal(ExitCodes.Completed, text.Code);
        Assert.Contains("\n  renamed   " + Rename, text.Out.ReplaceLineEndings("\n"));
        Assert.Contains("\n  server    " + NoMultiAppend + "\n", text.Out.ReplaceLineEndings("\n"));
        Assert.Equal(["INBOX: one", "INBOX: two", "Q3_2026: report"], await MailboxContent.SubjectsAsync(servers.Destination, user, Password));

        // A second run on a state file of its own copies nothing new, and says the same again (the folder is still renamed).
        var json = await RunAsync(user, "--state", Path.Combine(_dir, "json.json"), "--json");

        Assert.Equal(ExitCodes.Completed, json.Code);
        var summary = JsonDocument.Parse(json.Out).RootElement;
        var renamed = Assert.Single(summary.GetProperty("renamedFolders").EnumerateArray());
        Assert.Equal("Q3.2026", renamed.GetProperty("source").GetString());
        Assert.Equal("Q3_2026", renamed.GetProperty("destination").GetString());
        Assert.StartsWith("the destination refused the name: Character not allowed in mailbox name: '.'", renamed.GetProperty("reason").GetString());
        var fallback = Assert.Single(summary.GetProperty("fallbacks").EnumerateArray());
        Assert.Equal("destination", fallback.GetProperty("side").GetString());
        Assert.Equal("MULTIAPPEND", fallback.GetProperty("extension").GetString());
        Assert.Equal("one APPEND command per message instead of up to 50 in one", fallback.GetProperty("instead").GetString());
        Assert.Equal(3, (await MailboxContent.SubjectsAsync(servers.Destination, user, Password)).Count);
    }

    private async Task<(int Code, string Out, string Error)> RunAsync(string user, params string[] extra)
    {
        string[] args =
        [
            "migrate",
            "--source", $"imap://{user}@{servers.Source.Host}:{servers.Source.Port}", "--source-tls", "none",
            "--destination", $"imap://{user}@{servers.Destination.Host}:{servers.Destination.Port}", "--destination-tls", "none",
            .. extra,
        ];
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment(output, error,
            name => name is "MIGRATE_SOURCE_PASSWORD" or "MIGRATE_DESTINATION_PASSWORD" ? Password : null, Prompt: null, _dir);
        var code = await Migrator.RunAsync(args, env, CancellationToken.None, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private Task AppendAsync(string user, string folder, string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
        return servers.Source.AppendMessageAsync(user, Password, folder, message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
