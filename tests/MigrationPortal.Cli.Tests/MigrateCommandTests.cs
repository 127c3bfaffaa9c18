using System.Diagnostics;
using System.Text.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Cli;
using MigrationPortal.Cli.State;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Cli.Tests;

/// <summary>The migrator as an admin runs it, between two real Dovecot servers: its output, its exit code, its state file.</summary>
public sealed class MigrateCommandTests(DovecotPair servers) : IClassFixture<DovecotPair>, IDisposable
{
    // Distinctive, so finding it in any output is certainly a leak.
    private const string SourcePassword = "src-Secret-7Qx";
    private const string DestinationPassword = "dst-Secret-9Zk";
    private readonly string _dir = Directory.CreateTempSubdirectory("mp-cli-").FullName;

    [Fact]
    public async Task Migrate_NewMailbox_CopiesEverythingExitsZeroAndTheSecondRunCopiesNothing()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one", MessageFlags.Seen);
        await AppendAsync(user, "INBOX", "two", MessageFlags.Flagged);
        await AppendAsync(user, "Projects/Ärzte", "nested");

        var first = await RunAsync(MigrateArgs(user, "--json"));

        Assert.Equal(ExitCodes.Completed, first.Code);
        var summary = JsonDocument.Parse(first.Out).RootElement;
        Assert.Equal("completed", summary.GetProperty("outcome").GetString());
        Assert.Equal(3, summary.GetProperty("messagesFound").GetInt32());
        Assert.Equal(3, summary.GetProperty("messagesCopied").GetInt32());
        Assert.Equal(await SubjectsAsync(servers.Source, user, SourcePassword), await SubjectsAsync(servers.Destination, user, DestinationPassword));
        Assert.Contains("State file: ", first.Error);
        Assert.True(File.Exists(Path.Combine(_dir, "state.json")));

        var second = await RunAsync(MigrateArgs(user, "--json"));

        Assert.Equal(ExitCodes.Completed, second.Code);
        var again = JsonDocument.Parse(second.Out).RootElement;
        Assert.Equal(0, again.GetProperty("messagesCopied").GetInt32());
        Assert.Equal(3, again.GetProperty("messagesSkipped").GetInt32());
        Assert.Equal(3, (await SubjectsAsync(servers.Destination, user, DestinationPassword)).Count);
        AssertNoPassword(first, second);
    }

    [Fact]
    public async Task Migrate_WithoutJson_PrintsAHumanSummaryAndNewMailOnlyOnTheNextRun()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "before");
        Assert.Equal(ExitCodes.Completed, (await RunAsync(MigrateArgs(user))).Code);
        await AppendAsync(user, "INBOX", "after");

        var delta = await RunAsync(MigrateArgs(user, "--pass", "delta"));

        Assert.Equal(ExitCodes.Completed, delta.Code);
        Assert.Contains("Pass completed.", delta.Out);
        Assert.Matches(@"copied\s+1 messages", delta.Out);
        Assert.Equal(["after", "before"], await SubjectsAsync(servers.Destination, user, DestinationPassword));
        AssertNoPassword(delta);
    }

    [Fact]
    public async Task Migrate_StopRequested_ExitsFiveSayingSoAndTheNextRunFinishesTheCopy()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "INBOX", "two");
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync(); // Ctrl+C before the first message

        var stopped = await RunAsync(MigrateArgs(user), stop: stop.Token);
        var resumed = await RunAsync(MigrateArgs(user));

        Assert.Equal(ExitCodes.Stopped, stopped.Code);
        Assert.Contains("Pass stopped", stopped.Out);
        Assert.Equal(ExitCodes.Completed, resumed.Code);
        Assert.Equal(["one", "two"], await SubjectsAsync(servers.Destination, user, DestinationPassword));
    }

    [Fact]
    public async Task Migrate_WrongDestinationPassword_ExitsThreeNamingTheDestination()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");

        var run = await RunAsync(MigrateArgs(user), destinationPassword: "not-" + DestinationPassword);

        Assert.Equal(ExitCodes.CredentialsRefused, run.Code);
        Assert.Contains("The destination", run.Error);
        Assert.DoesNotContain("not-" + DestinationPassword, run.Out + run.Error);
        Assert.Empty(await SubjectsAsync(servers.Destination, user, DestinationPassword));
        AssertNoPassword(run);
    }

    [Fact]
    public async Task Migrate_DestinationRefusesMoreThanMaxErrors_ExitsOneSayingSoWithTheRefusedListed()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "fits");
        await AppendAsync(user, "INBOX", "too large 1", padding: DovecotPair.DestinationMaxMessageSize * 2);
        await AppendAsync(user, "INBOX", "too large 2", padding: DovecotPair.DestinationMaxMessageSize * 2);

        var run = await RunAsync(MigrateArgs(user, "--max-errors", "1"));

        Assert.Equal(ExitCodes.Failed, run.Code);
        Assert.Contains("Pass failed: the destination refused more messages than --max-errors allows", run.Out);
        Assert.Contains("too large 1", run.Out);
        Assert.Contains("too large 2", run.Out);
        // Within the limit the same refusals leave the pass completed (exit 0), each still listed.
        var within = await RunAsync(MigrateArgs(user, "--pass", "retry-errors", "--max-errors", "2", "--json"));
        Assert.Equal(ExitCodes.Completed, within.Code);
        Assert.Equal(2, JsonDocument.Parse(within.Out).RootElement.GetProperty("messagesFailed").GetInt32());
    }

    [Theory]
    [InlineData("--destination-pin", "12:34", "--destination-pin: The pinned certificate must be a SHA-256 fingerprint")]
    [InlineData("--max-errors", "-1", "--max-errors must be a whole number from 0 to 1000000")]
    public async Task Migrate_BadTlsOrLimitOption_ExitsTwoSayingWhatIsExpected(string option, string value, string message)
    {
        var run = await RunAsync(MigrateArgs("someone", option, value));

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(message, run.Error);
    }

    [Fact]
    public async Task Migrate_PinOnAPlainTextSide_ExitsTwoSayingThePinNeedsTls()
    {
        var pin = new string('A', 64);

        var run = await RunAsync(MigrateArgs("someone", "--source-pin", pin));

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("--source-pin: A pinned certificate needs TLS or STARTTLS", run.Error);
    }

    [Fact]
    public async Task Migrate_NothingListening_ExitsFourNamingTheSource()
    {
        var run = await RunAsync(["migrate", "--source", "imap://someone@127.0.0.1:1", "--source-tls", "none",
            "--destination", $"imap://someone@{servers.Destination.Host}:{servers.Destination.Port}", "--destination-tls", "none",
            "--state", Path.Combine(_dir, "state.json"), "--retries", "0"]);

        Assert.Equal(ExitCodes.Unreachable, run.Code);
        Assert.Contains("The source server could not be reached", run.Error);
    }

    [Fact]
    public async Task Migrate_NothingListeningWithOneRetry_SaysItTriesAgainOnceThenExitsFour()
    {
        var run = await RunAsync(["migrate", "--source", "imap://someone@127.0.0.1:1", "--source-tls", "none",
            "--destination", $"imap://someone@{servers.Destination.Host}:{servers.Destination.Port}", "--destination-tls", "none",
            "--state", Path.Combine(_dir, "state.json"), "--retries", "1"]);

        Assert.Equal(ExitCodes.Unreachable, run.Code);
        Assert.Single(run.Error.Split('\n'), line => line.Contains("trying the pass again", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("migrate", "--destination", "imap://u@h")]                               // no source
    [InlineData("migrate", "--source", "ftp://u@h", "--destination", "imap://u@h")]       // unknown scheme
    [InlineData("migrate", "--source", "imap://u@h", "--destination", "imap://u@h", "--pass", "sideways")]
    [InlineData("migrate", "--source", "imap://u@h", "--destination", "imap://u@h", "--pass", "prestage")] // no --before
    [InlineData("copy", "--source", "imap://u@h")]
    [InlineData("migrate", "--source", "imap://u@h", "--destination", "imap://u@h", "--retries", "-1")]
    [InlineData("migrate", "--source", "imap://u@h", "--destination", "imap://u@h", "--folders-at-once", "0")]
    [InlineData("migrate", "--source", "imap://u@h", "--destination", "imap://u@h", "--folders-at-once", "many")]
    public async Task Migrate_UsageError_ExitsTwoWithTheReasonAndTheUsage(params string[] args)
    {
        var run = await RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.StartsWith("migrate: ", run.Error);
        Assert.Contains("Usage: migrate --source URL --destination URL", run.Error);
    }

    [Fact]
    public async Task Migrate_PasswordOnTheCommandLine_RefusedWithoutRepeatingIt()
    {
        var inUrl = await RunAsync(["migrate", "--source", $"imap://u:{SourcePassword}@h", "--destination", "imap://u@h"]);
        var asOption = await RunAsync(["migrate", "--source", "imap://u@h", "--destination", "imap://u@h", "--password", SourcePassword]);

        Assert.Equal(ExitCodes.Usage, inUrl.Code);
        Assert.Contains("contains a password", inUrl.Error);
        Assert.Equal(ExitCodes.Usage, asOption.Code);
        Assert.Contains("There is no --password option", asOption.Error);
        AssertNoPassword(inUrl, asOption);
    }

    [Fact]
    public async Task Migrate_NoPasswordAndNoTerminal_ExitsTwoNamingTheVariable()
    {
        var run = await RunAsync(MigrateArgs("someone"), sourcePassword: null);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("MIGRATE_SOURCE_PASSWORD", run.Error);
    }

    [Fact]
    public async Task Migrate_LoginWithAt_WrittenAsPercent40_LogsInAsThatUser()
    {
        var user = "ada@" + Guid.NewGuid().ToString("N")[..8] + ".example.org";
        await servers.Source.AddUserAsync(user, SourcePassword);
        await servers.Destination.AddUserAsync(user, DestinationPassword);
        await AppendAsync(user, "INBOX", "to ada");

        var run = await RunAsync(["migrate",
            "--source", $"imap://{Uri.EscapeDataString(user)}@{servers.Source.Host}:{servers.Source.Port}", "--source-tls", "none",
            "--destination", $"imap://{user}@{servers.Destination.Host}:{servers.Destination.Port}", "--destination-tls", "none"]);

        Assert.Equal(ExitCodes.Completed, run.Code);
        Assert.Equal(["to ada"], await SubjectsAsync(servers.Destination, user, DestinationPassword));
        // Without --state, the file is named after both sides, in the working directory, and said at start.
        var stateFile = Assert.Single(Directory.GetFiles(_dir, "migrate-*.state.json"));
        Assert.Contains(stateFile, run.Error);
    }

    [Fact]
    public async Task Migrate_StateFileHeldByAnotherMigrator_RefusedAndTouchesNothing()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");
        var state = Path.Combine(_dir, "state.json");
        using var other = JsonCheckpointStore.Open(state, "whoever holds it");

        var run = await RunAsync(MigrateArgs(user));

        Assert.Equal(ExitCodes.Failed, run.Code);
        Assert.Contains("in use by another migrator", run.Error);
        Assert.Empty(await SubjectsAsync(servers.Destination, user, DestinationPassword));
    }

    [Fact]
    public async Task Migrate_AsARealProcess_CopiesAndASecondProcessOnTheSameStateIsRefused()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "Archive/2019", "two");

        var first = await RunProcessAsync(MigrateArgs(user, "--json"));

        Assert.True(first.Code == ExitCodes.Completed, first.Error);
        Assert.Equal(2, JsonDocument.Parse(first.Out).RootElement.GetProperty("messagesCopied").GetInt32());
        Assert.Equal(["one", "two"], await SubjectsAsync(servers.Destination, user, DestinationPassword));

        // This test process holds a state file while a migrator process tries to use it.
        var held = Path.Combine(_dir, "held.json");
        using (JsonCheckpointStore.Open(held, "held by the test"))
        {
            var second = await RunProcessAsync([.. MigrateArgs(user, "--json").Select(a => a.EndsWith("state.json", StringComparison.Ordinal) ? held : a)]);
            Assert.Equal(ExitCodes.Failed, second.Code);
            Assert.Contains("in use by another migrator", second.Error);
            AssertNoPassword(first, second);
        }
    }

    [Fact]
    public async Task Migrate_DeltaAfterOneOfTwoIdenticalMessagesIsFlagged_FlagsOnlyItsOwnCopy()
    {
        var user = await UsersAsync();
        var twin = new MimeMessage { Subject = "twin", MessageId = "twin@example.org" };
        twin.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        twin.Body = new TextPart("plain") { Text = "The same bytes\r\n" };
        using (var source = await ClientAsync(servers.Source, user, SourcePassword))
            for (var i = 0; i < 2; i++)
                await source.Inbox.AppendAsync(new AppendRequest(twin) { InternalDate = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero) });
        Assert.Equal(ExitCodes.Completed, (await RunAsync(MigrateArgs(user))).Code);
        using (var source = await ClientAsync(servers.Source, user, SourcePassword))
        {
            await source.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await source.Inbox.AddFlagsAsync(0, MessageFlags.Flagged, silent: true);
        }

        // A new process reads the map of copied messages from the state file: the first twin's copy, not both.
        var delta = await RunAsync(MigrateArgs(user, "--pass", "delta", "--json"));

        Assert.Equal(ExitCodes.Completed, delta.Code);
        Assert.Equal(1, JsonDocument.Parse(delta.Out).RootElement.GetProperty("flagsUpdated").GetInt32());
        using var destination = await ClientAsync(servers.Destination, user, DestinationPassword);
        await destination.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var copies = (await destination.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags)).OrderBy(m => m.UniqueId.Id);
        Assert.Equal([true, false], copies.Select(m => m.Flags!.Value.HasFlag(MessageFlags.Flagged)));
    }

    private static async Task<ImapClient> ClientAsync(DovecotServer server, string user, string password)
    {
        var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, password);
        return client;
    }

    private string[] MigrateArgs(string user, params string[] extra) =>
    [
        "migrate",
        "--source", $"imap://{user}@{servers.Source.Host}:{servers.Source.Port}", "--source-tls", "none",
        "--destination", $"imap://{user}@{servers.Destination.Host}:{servers.Destination.Port}", "--destination-tls", "none",
        "--state", Path.Combine(_dir, "state.json"),
        .. extra,
    ];

    private sealed record Run(int Code, string Out, string Error);

    private async Task<Run> RunAsync(string[] args, string? sourcePassword = SourcePassword, string? destinationPassword = DestinationPassword,
        CancellationToken stop = default)
    {
        var variables = new Dictionary<string, string?>
        {
            ["MIGRATE_SOURCE_PASSWORD"] = sourcePassword,
            ["MIGRATE_DESTINATION_PASSWORD"] = destinationPassword,
        };
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment(output, error, name => variables.GetValueOrDefault(name), Prompt: null, _dir);
        var code = await Migrator.RunAsync(args, env, stop, CancellationToken.None);
        return new Run(code, output.ToString(), error.ToString());
    }

    private async Task<Run> RunProcessAsync(string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "MigrationPortal.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = _dir,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["MIGRATE_SOURCE_PASSWORD"] = SourcePassword;
        start.Environment["MIGRATE_DESTINATION_PASSWORD"] = DestinationPassword;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await output, await error);
    }

    private static void AssertNoPassword(params Run[] runs)
    {
        foreach (var run in runs)
        {
            Assert.DoesNotContain(SourcePassword, run.Out + run.Error);
            Assert.DoesNotContain(DestinationPassword, run.Out + run.Error);
        }
    }

    private async Task<string> UsersAsync()
    {
        var user = "cli" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, SourcePassword);
        await servers.Destination.AddUserAsync(user, DestinationPassword);
        return user;
    }

    private Task AppendAsync(string user, string folder, string subject, MessageFlags flags = MessageFlags.None, int padding = 0)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" + new string('x', padding) };
        return servers.Source.AppendMessageAsync(user, SourcePassword, folder, message);
    }

    /// <summary>Every message's subject over all folders, sorted.</summary>
    private static async Task<List<string>> SubjectsAsync(DovecotServer server, string user, string password)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, password);
        var subjects = new List<string>();
        foreach (var folder in await client.GetFoldersAsync(client.PersonalNamespaces[0]))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect)) continue;
            await folder.OpenAsync(FolderAccess.ReadOnly);
            if (folder.Count > 0)
                subjects.AddRange((await folder.FetchAsync(0, -1, MessageSummaryItems.Envelope)).Select(s => s.Envelope!.Subject ?? ""));
        }
        await client.DisconnectAsync(quit: true);
        subjects.Sort(StringComparer.Ordinal);
        return subjects;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
