using MailKit;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>A source that separates levels with '/' and a destination that uses '.', as Cyrus and Courier do.</summary>
public sealed class DotSeparatedDestination : IAsyncLifetime
{
    public DovecotServer Source { get; } = new();
    public DovecotServer Destination { get; } = new() { Separator = '.' };
    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}

public sealed class DelimiterTests(DotSeparatedDestination servers) : IClassFixture<DotSeparatedDestination>
{
    private const string Password = "pass-Word-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Run_SlashSourceDotDestination_HierarchyKeptLevelByLevel()
    {
        var user = "delim" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        foreach (var folder in new[] { "Projects/2026/Q1", "Rechnungen/Ärzte & Co" })
        {
            var message = new MimeMessage { Subject = folder };
            message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
            message.Body = new TextPart("plain") { Text = "Body\r\n" };
            await servers.Source.AppendMessageAsync(user, Password, folder, message);
        }
        await using var source = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await using var destination = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);

        await using var writer = await _connector.ConnectAppendWriterAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);

        var result = await new MailboxPass(source.Store, destination.Store, writer, new MemoryCheckpoints()).RunAsync(default);

        Assert.Equal(2, result.MessagesCopied);
        var folders = await destination.Store.GetFoldersAsync(destination.Store.PersonalNamespaces[0]);
        var leaf = Assert.Single(folders, f => f.FullName == "Projects.2026.Q1");
        Assert.Equal('.', leaf.DirectorySeparator);
        Assert.Equal("Q1", leaf.Name);
        Assert.Contains(folders, f => f.FullName == "Projects.2026");
        var umlaut = Assert.Single(folders, f => f.FullName == "Rechnungen.Ärzte & Co");
        await umlaut.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, umlaut.Count);
    }
}
