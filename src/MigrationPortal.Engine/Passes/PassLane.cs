using MailKit;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Passes;

/// <summary>
/// One set of connections a pass copies folders over: the source and the destination as MailKit sees them, and the
/// destination's APPEND writer. A pass has its own lane and may open more to copy several folders at once; disposing
/// a lane it opened closes that lane's connections.
/// </summary>
public sealed class PassLane(IMailStore source, IMailStore destination, AppendWriter writer, params IAsyncDisposable[] owned) : IAsyncDisposable
{
    public IMailStore Source { get; } = source;
    public IMailStore Destination { get; } = destination;
    public AppendWriter Writer { get; } = writer;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in owned) await connection.DisposeAsync();
    }
}
