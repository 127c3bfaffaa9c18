using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>The engine's entry point as the portal and the CLI call it: which connections a pass opens.</summary>
public sealed class MailboxMigrationTests(DovecotPair servers) : IClassFixture<DovecotPair>
{
    private const string Password = "pass-Word-1";

    [Fact]
    public async Task Run_DeltaWithNothingNew_LogsInToEachSideOnceAndOpensNoAppendConnection()
    {
        var user = "mig" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "Projects", "two");
        var connector = new CountingConnector(new ImapConnector(TimeSpan.FromSeconds(10)));
        var migration = new MailboxMigration(connector);
        var checkpoints = new MemoryCheckpoints();
        var delta = new PassOptions { Kind = PassKind.Delta };
        await migration.RunAsync(Side(servers.Source, user), Side(servers.Destination, user), checkpoints, PassOptions.Full, default, default);

        var before = connector.Counts;
        var nothingNew = await migration.RunAsync(Side(servers.Source, user), Side(servers.Destination, user), checkpoints, delta, default, default);

        // Thousands of mailboxes' Deltas a night: each unchanged one costs the destination one login, not three.
        Assert.Equal(nothingNew.Folders, nothingNew.FoldersUnchanged);
        Assert.Equal((before.Sessions + 2, before.Writers), connector.Counts);

        await AppendAsync(user, "INBOX", "three");
        var newMail = await migration.RunAsync(Side(servers.Source, user), Side(servers.Destination, user), checkpoints, delta, default, default);
        Assert.Equal(1, newMail.MessagesCopied);
        Assert.Equal(before.Writers + 1, connector.Counts.Writers);
    }

    private static MigrationSide Side(DovecotServer server, string user) =>
        new(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password));

    private Task AppendAsync(string user, string folder, string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
        return servers.Source.AppendMessageAsync(user, Password, folder, message);
    }

    /// <summary>The real connector, counting the connections it opens.</summary>
    private sealed class CountingConnector(IImapConnector inner) : IImapConnector
    {
        private int _sessions, _writers;

        public (int Sessions, int Writers) Counts => (Volatile.Read(ref _sessions), Volatile.Read(ref _writers));

        public Task<ImapSession> ConnectAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct)
        {
            Interlocked.Increment(ref _sessions);
            return inner.ConnectAsync(endpoint, login, ct);
        }

        public Task<AppendWriter> ConnectAppendWriterAsync(ImapEndpoint endpoint, ImapLogin login, CancellationToken ct)
        {
            Interlocked.Increment(ref _writers);
            return inner.ConnectAppendWriterAsync(endpoint, login, ct);
        }
    }
}
