using MailKit;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Passes;

/// <summary>
/// One set of connections a pass copies folders over: the source and the destination as MailKit sees them, and the
/// destination's APPEND writer. A pass has its own lane and may open more to copy several folders at once; disposing
/// a lane it opened closes that lane's connections.
/// <para>
/// The pass's own lane may open its writer only when a folder is first copied: a Delta that finds nothing changed
/// then logs in twice instead of three times, which a destination serving thousands of mailboxes' Deltas notices.
/// </para>
/// </summary>
public sealed class PassLane : IAsyncDisposable
{
    private readonly IAsyncDisposable[] _owned;
    private readonly Func<CancellationToken, Task<AppendWriter>>? _openWriter;
    private AppendWriter? _writer;

    public PassLane(IMailStore source, IMailStore destination, AppendWriter writer, params IAsyncDisposable[] owned)
    {
        Source = source;
        Destination = destination;
        _writer = writer;
        _owned = owned;
    }

    /// <param name="openWriter">Opens the writer on first use; the lane then owns it.</param>
    public PassLane(IMailStore source, IMailStore destination, Func<CancellationToken, Task<AppendWriter>> openWriter, params IAsyncDisposable[] owned)
    {
        Source = source;
        Destination = destination;
        _openWriter = openWriter;
        _owned = owned;
    }

    public IMailStore Source { get; }
    public IMailStore Destination { get; }

    /// <summary>The lane's writer, opened now if it was left for its first use. A lane copies one folder at a time.</summary>
    public async ValueTask<AppendWriter> WriterAsync(CancellationToken ct)
    {
        return _writer ??= await _openWriter!(ct);
    }

    public async ValueTask DisposeAsync()
    {
        // A writer the lane opened itself is its own to close; one it was given belongs to whoever gave it.
        if (_openWriter is not null && _writer is not null) await _writer.DisposeAsync();
        foreach (var connection in _owned) await connection.DisposeAsync();
    }
}
