using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.Smtp;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>A real source and destination IMAP server and a real SMTP server, shared by one test class.</summary>
public sealed class MailServers : IAsyncLifetime
{
    public DovecotServer Source { get; } = new();
    public DovecotServer Destination { get; } = new();
    public SmtpSink Smtp { get; } = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync(), ((IAsyncLifetime)Smtp).InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
        await ((IAsyncLifetime)Smtp).DisposeAsync();
    }
}
