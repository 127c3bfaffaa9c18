using Xunit;

namespace MigrationPortal.Fixtures.Dovecot;

/// <summary>
/// A source and a destination server for migration tests. The source names its sent folder "Sent Items", as Exchange
/// does, the destination "Sent"; the destination refuses messages over 20 KB, as a provider's size limit would.
/// </summary>
public sealed class DovecotPair : IAsyncLifetime
{
    public const int DestinationMaxMessageSize = 20_000;

    public DovecotServer Source { get; } = new() { SentFolder = "Sent Items" };
    public DovecotServer Destination { get; } = new() { ExtraConfig = DovecotServer.MaxMessageSize(DestinationMaxMessageSize) };

    public Task InitializeAsync() => Task.WhenAll(Source.InitializeAsync(), Destination.InitializeAsync());

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}
