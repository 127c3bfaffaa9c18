using System.Text;
using MailKit;

namespace MigrationPortal.Engine.Imap;

/// <summary>
/// Reads what a server sends on a MailKit connection for one sentence: Microsoft's <c>Request is throttled</c> in a
/// response line (tagged NO or BAD, untagged BYE). MailKit loses that sentence when a tagged BAD is followed at once by a
/// BYE without it (MailKit #849): the command then fails as a dropped connection carrying only the BYE's words, and the
/// pass would retry it at once, as after a network fault, instead of waiting as the server asked. MailKit offers no
/// other view of the raw responses than its protocol logger, so this is one that keeps only that line; nothing else
/// it is handed (message bodies, the client's commands, credentials) is kept or written anywhere.
/// </summary>
public sealed class ThrottleWatcher : IProtocolLogger
{
    private static readonly byte[] Marker = "Request is throttled"u8.ToArray();
    private const int MaxLine = 512;

    private volatile string? _lastLine;
    // MailKit reads one connection from one thread at a time: the carried-over line needs no lock. Its length, or -1
    // inside a line too long to be a response; 0 at a line's start.
    private readonly byte[] _partial = new byte[MaxLine];
    private int _partialLength;

    /// <summary>The last response line the server sent with the throttling sentence in it; null when none came.</summary>
    public string? LastThrottling => _lastLine;

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri) { }

    public void LogClient(byte[] buffer, int offset, int count) { }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        var data = buffer.AsSpan(offset, count);
        if (data.IsEmpty) return;
        var firstNewline = data.IndexOf((byte)'\n');
        var rest = data;
        if (_partialLength != 0)
        {
            // The previous read ended inside a line: this read's first line finishes it (a response split in two).
            var head = firstNewline < 0 ? data : data[..firstNewline];
            if (_partialLength > 0 && _partialLength + head.Length <= MaxLine)
            {
                Span<byte> line = stackalloc byte[_partialLength + head.Length];
                _partial.AsSpan(0, _partialLength).CopyTo(line);
                head.CopyTo(line[_partialLength..]);
                Look(line);
            }
            rest = firstNewline < 0 ? [] : data[(firstNewline + 1)..];
        }
        // The lines that begin in this read: a vectorised search, as a pass receives tens of megabytes a second and
        // almost never this sentence.
        Look(rest);
        // The unfinished last line, kept for the next read when it is short enough to be a response (-1: too long).
        var lastNewline = data.LastIndexOf((byte)'\n');
        if (lastNewline == data.Length - 1)
            _partialLength = 0;
        else if (lastNewline < 0)
            _partialLength = _partialLength >= 0 && _partialLength + data.Length <= MaxLine ? Append(_partialLength, data) : -1;
        else
            _partialLength = data.Length - lastNewline - 1 <= MaxLine ? Append(0, data[(lastNewline + 1)..]) : -1;
    }

    private int Append(int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_partial.AsSpan(at));
        return at + bytes.Length;
    }

    private void Look(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf(Marker);
        if (at < 0) return;
        var start = data[..at].LastIndexOf((byte)'\n') + 1;
        var end = data[at..].IndexOfAny((byte)'\r', (byte)'\n') is var cr and >= 0 ? at + cr : data.Length;
        var line = Encoding.ASCII.GetString(data[start..Math.Min(end, start + MaxLine)]);
        // A response line (a tag or "*", then NO, BAD or BYE), not the same words inside a message being downloaded.
        if (IsResponse(line)) _lastLine = line;
    }

    private static bool IsResponse(string line)
    {
        var space = line.IndexOf(' ');
        if (space <= 0 || line.AsSpan(0, space).ContainsAnyExcept(TagCharacters)) return false;
        var rest = line.AsSpan(space + 1);
        return rest.StartsWith("NO ") || rest.StartsWith("BAD ") || rest.StartsWith("BYE ");
    }

    // RFC 3501's tag is any ASTRING-CHAR but "+"; MailKit's tags are letters and digits, and untagged responses are "*".
    private static readonly System.Buffers.SearchValues<char> TagCharacters =
        System.Buffers.SearchValues.Create("*ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.");

    public void Dispose() { }
}
