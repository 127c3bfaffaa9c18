using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace MigrationPortal.Email.Tests;

public sealed class PickupDirectoryEmailSenderTests : IDisposable
{
    private const string From = "MigrationPortal <no-reply@localhost>";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mp-email-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private string Outbox => Path.Combine(_root, "mail-outbox");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task SendAsync_DirectoryMissing_CreatesItAndWritesParseableEml()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);
        var message = TestMessages.Create("Your migration link");
        message.Cc.Add(MailboxAddress.Parse("grace@example.org"));

        await sender.SendAsync(message, CancellationToken.None);

        var file = Assert.Single(Directory.GetFiles(Outbox));
        Assert.EndsWith(".eml", file);
        var written = await MimeMessage.LoadAsync(file);
        Assert.Equal("Your migration link", written.Subject);
        Assert.Equal("ada@example.org", Assert.Single(written.To.Mailboxes).Address);
        Assert.Equal("grace@example.org", Assert.Single(written.Cc.Mailboxes).Address);
        Assert.Equal("Plain text for Your migration link.", written.TextBody?.TrimEnd());
        Assert.Equal("<p>HTML for <b>Your migration link</b>.</p>", written.HtmlBody?.TrimEnd());
    }

    [Fact]
    public async Task SendAsync_MessageWithoutFrom_UsesConfiguredFrom()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, "Migration Desk <desk@example.org>", _time);

        await sender.SendAsync(TestMessages.Create("no from"), CancellationToken.None);

        var written = await MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(Outbox)));
        Assert.Equal("desk@example.org", Assert.Single(written.From.Mailboxes).Address);
    }

    [Fact]
    public async Task SendAsync_MessageWithFrom_KeepsIt()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);

        await sender.SendAsync(TestMessages.Create("own from", from: "owner@example.org"), CancellationToken.None);

        var written = await MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(Outbox)));
        Assert.Equal("owner@example.org", Assert.Single(written.From.Mailboxes).Address);
    }

    [Fact]
    public async Task SendAsync_Always_NamesFileAfterUtcTimeOfTheTimeProvider()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);

        await sender.SendAsync(TestMessages.Create("stamped"), CancellationToken.None);

        var name = Path.GetFileName(Assert.Single(Directory.GetFiles(Outbox)));
        Assert.Matches(@"^20300102T030405\.0000000Z-[0-9a-f]{6}\.eml$", name);
    }

    [Fact]
    public async Task SendAsync_SeveralMessages_NamesSortInSendOrder()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);

        // The clock moves on and, between some sends, stands still (a coarse clock, or a burst within one tick).
        TimeSpan[] steps = [TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(1)];
        var subjects = new List<string>();
        foreach (var step in steps)
        {
            _time.Advance(step);
            subjects.Add($"message {subjects.Count}");
            await sender.SendAsync(TestMessages.Create(subjects[^1]), CancellationToken.None);
        }

        Assert.Equal(subjects, await SubjectsInNameOrderAsync());
    }

    [Fact]
    public async Task SendAsync_ClockStepsBack_NamesStillSortInSendOrder()
    {
        // FakeTimeProvider refuses to go back in time; a real clock does after an NTP correction.
        var start = _time.GetUtcNow();
        var clock = new ScriptedTimeProvider(start, start.AddHours(-1), start.AddHours(-1), start.AddSeconds(1));
        var sender = new PickupDirectoryEmailSender(Outbox, From, clock);

        string[] subjects = ["first", "second", "third", "fourth"];
        foreach (var subject in subjects)
        {
            await sender.SendAsync(TestMessages.Create(subject), CancellationToken.None);
        }

        Assert.Equal(subjects, await SubjectsInNameOrderAsync());
    }

    [Fact]
    public async Task SendAsync_Always_PublishesTheEmlByRenameSoNoReaderSeesItHalfWritten()
    {
        Directory.CreateDirectory(Outbox);
        using var watcher = new FileSystemWatcher(Outbox) { IncludeSubdirectories = false };
        var createdEml = 0;
        var renamedToEml = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Created += (_, e) =>
        {
            if (e.Name?.EndsWith(".eml", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref createdEml);
            }
        };
        watcher.Renamed += (_, e) =>
        {
            if (e.Name?.EndsWith(".eml", StringComparison.Ordinal) == true)
            {
                renamedToEml.TrySetResult(e.OldName ?? "");
            }
        };
        watcher.EnableRaisingEvents = true;
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);

        await sender.SendAsync(TestMessages.Create("atomic"), CancellationToken.None);

        var oldName = await renamedToEml.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.EndsWith(".tmp", oldName);
        Assert.Equal(0, Volatile.Read(ref createdEml));
    }

    [Fact]
    public async Task SendAsync_ManyMessages_LeavesOnlyEmlFiles()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => sender.SendAsync(TestMessages.Create($"m{i}"), CancellationToken.None)));

        var files = Directory.GetFiles(Outbox);
        Assert.Equal(20, files.Length);
        Assert.All(files, f => Assert.Equal(".eml", Path.GetExtension(f)));
        Assert.Equal(20, files.Distinct().Count());
    }

    [Fact]
    public async Task SendAsync_PathIsAFile_ThrowsNamingThePathAndLeavesNoTempFile()
    {
        Directory.CreateDirectory(_root);
        var blocker = Path.Combine(_root, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "");
        var sender = new PickupDirectoryEmailSender(blocker, From, _time);

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(() => sender.SendAsync(TestMessages.Create("x"), CancellationToken.None));

        Assert.Contains(blocker, error.Message);
        Assert.Equal(["not-a-folder"], Directory.GetFiles(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task SendAsync_Cancelled_LeavesNoFile()
    {
        var sender = new PickupDirectoryEmailSender(Outbox, From, _time);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sender.SendAsync(TestMessages.Create("x"), cancelled.Token));

        Assert.Empty(Directory.Exists(Outbox) ? Directory.GetFiles(Outbox) : []);
    }

    private async Task<List<string>> SubjectsInNameOrderAsync()
    {
        var subjects = new List<string>();
        foreach (var file in Directory.GetFiles(Outbox).Order(StringComparer.Ordinal))
        {
            subjects.Add((await MimeMessage.LoadAsync(file)).Subject ?? "");
        }

        return subjects;
    }

    private sealed class ScriptedTimeProvider(params DateTimeOffset[] readings) : TimeProvider
    {
        private int _next;

        public override DateTimeOffset GetUtcNow() => readings[_next++];
    }
}
