using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Dovecot;

public sealed class DovecotServerTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    [Fact]
    public async Task AppendMessageAsync_NestedFolderMissing_CreatesFolderAndStoresMessage()
    {
        await dovecot.AddUserAsync("appender", "pw 1");
        var message = new MimeMessage { Subject = "Quarterly report ✓" };
        message.From.Add(new MailboxAddress("Alice", "alice@example.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Body = new TextPart("plain") { Text = "Numbers attached." };

        await dovecot.AppendMessageAsync("appender", "pw 1", "Projects/2024", message);

        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync("appender", "pw 1");
        var folder = await client.GetFolderAsync("Projects/2024");
        await folder.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, folder.Count);
        var stored = await folder.GetMessageAsync(0);
        Assert.Equal("Quarterly report ✓", stored.Subject);
    }

    [Fact]
    public async Task InitializeAsync_SecondInstance_RunsAlongsideWithItsOwnUsers()
    {
        var second = new DovecotServer();
        await second.InitializeAsync();
        try
        {
            await dovecot.AddUserAsync("first-only", "pw");
            await second.AddUserAsync("second-only", "pw");

            Assert.NotEqual(dovecot.Port, second.Port);
            Assert.True(await CanLogInAsync(dovecot, "first-only", "pw"));
            Assert.True(await CanLogInAsync(second, "second-only", "pw"));
            Assert.False(await CanLogInAsync(second, "first-only", "pw"));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task DisposeAsync_RunningServer_PortRefusesConnections()
    {
        var server = new DovecotServer();
        await server.InitializeAsync();

        await server.DisposeAsync();

        using var tcp = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => tcp.ConnectAsync(server.Host, server.Port));
    }

    [Fact]
    public async Task AddUserAsync_RightAfterAnotherLogin_NewUserCanLogInAtOnce()
    {
        // Dovecot stats a passwd-file at most once a second: a user appended to a file that was just read
        // would stay unknown until the next second. Repeated so at least one round falls within one second.
        await dovecot.AddUserAsync("early", "pw");
        for (var round = 0; round < 3; round++)
        {
            Assert.True(await CanLogInAsync(dovecot, "early", "pw"));
            await dovecot.AddUserAsync($"late{round}", "pw");
            Assert.True(await CanLogInAsync(dovecot, $"late{round}", "pw"), $"late{round} unknown:\n{dovecot.ReadLog()}");
        }
    }

    [Fact]
    public async Task AddUserAsync_ExistingLogin_ThrowsInvalidOperationException()
    {
        await dovecot.AddUserAsync("twice", "pw");

        await Assert.ThrowsAsync<InvalidOperationException>(() => dovecot.AddUserAsync("twice", "other"));
    }

    [Theory]
    [InlineData("has:colon")]
    [InlineData("has\nnewline")]
    [InlineData("")]
    public async Task AddUserAsync_PasswordThePasswdFileCannotHold_ThrowsArgumentException(string password)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => dovecot.AddUserAsync("unstorable", password));
    }

    private static async Task<bool> CanLogInAsync(DovecotServer server, string login, string password)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        try
        {
            await client.AuthenticateAsync(login, password);
            return true;
        }
        catch (AuthenticationException)
        {
            return false;
        }
    }
}
