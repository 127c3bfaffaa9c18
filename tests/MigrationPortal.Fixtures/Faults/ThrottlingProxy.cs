using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MigrationPortal.Fixtures.Faults;

/// <summary>
/// A TCP proxy on a loopback port in front of a real IMAP server (plain text) that forwards every connection as is and,
/// when told to, answers one chosen command itself, as a provider's limit would: Microsoft's "Request is throttled.
/// Suggested Backoff Time: N milliseconds" or Gmail's "Account exceeded command or bandwidth limits". The command is
/// swallowed whole (its literals too, LITERAL+ or synchronising), never reaches the server, and gets the proxy's answer;
/// everything before and after goes through untouched. It also counts the connections open at once, which is how a
/// provider's cap per mailbox sees a client.
/// </summary>
/// <remarks>
/// The proxy reads the commands a client sends (lines, and the literals a line announces) to know where one ends; it
/// does not read the server's answers, so it answers only a client that waits for one command's answer before sending
/// the next, as MailKit and the engine's APPEND writer do outside the writer's pipelined retry of a refused batch.
/// </remarks>
public sealed class ThrottlingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _accepting;
    private readonly Lock _state = new();
    private readonly HashSet<Relay> _relays = [];
    private readonly List<long> _accepted = [];
    private Plan? _plan;
    private int _seen;
    private int _open, _peakOpen;
    private long _answeredAt;
    private int _answered;

    public ThrottlingProxy(string targetHost, int targetPort)
    {
        (_targetHost, _targetPort) = (targetHost, targetPort);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_closing.Token);
    }

    public string Host => "127.0.0.1";
    public int Port { get; }

    /// <summary>Commands the proxy answered itself: what a test asserts to know its limit was really met.</summary>
    public int Answered => Volatile.Read(ref _answered);

    /// <summary>Connections accepted so far.</summary>
    public int Connections
    {
        get
        {
            lock (_state) return _accepted.Count;
        }
    }

    /// <summary>The most connections that were open at the same time.</summary>
    public int PeakOpen => Volatile.Read(ref _peakOpen);

    /// <summary>The first connection accepted after the proxy answered, and how long after the answer; null when none came.</summary>
    public TimeSpan? FirstConnectionAfterAnswer
    {
        get
        {
            lock (_state)
            {
                if (_answered == 0) return null;
                var next = _accepted.Where(t => t > _answeredAt).Cast<long?>().FirstOrDefault();
                return next is { } at ? Stopwatch.GetElapsedTime(_answeredAt, at) : null;
            }
        }
    }

    /// <summary>Exchange Online's tagged refusal of a throttled command (NO, or BAD as it also answers).</summary>
    public static string MicrosoftThrottled(int milliseconds, string status = "NO") =>
        $"{Tag} {status} Request is throttled. Suggested Backoff Time: {milliseconds} milliseconds";

    /// <summary>Gmail's refusal once the account is over its bandwidth limits.</summary>
    public const string GmailOverQuota = Tag + " NO [OVERQUOTA] Account exceeded command or bandwidth limits.";

    /// <summary>Stands for the answered command's tag in an answer's lines.</summary>
    public const string Tag = "{tag}";

    /// <summary>
    /// Answers the <paramref name="occurrence"/>-th command (counted over every connection) whose first line contains
    /// <paramref name="marker"/> with <paramref name="lines"/> (CRLF added, <see cref="Tag"/> replaced by its tag)
    /// instead of passing it on, once.
    /// </summary>
    /// <param name="thenClose">Close the connection after the answer, as Exchange does after a throttling BYE.</param>
    public void AnswerOnce(string marker, int occurrence, IReadOnlyList<string> lines, bool thenClose = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(marker);
        ArgumentOutOfRangeException.ThrowIfLessThan(occurrence, 1);
        lock (_state)
        {
            _plan = new Plan(Encoding.ASCII.GetBytes(marker), occurrence, lines, thenClose);
            _seen = 0;
        }
    }

    private sealed record Plan(byte[] Marker, int Occurrence, IReadOnlyList<string> Lines, bool ThenClose);

    /// <summary>The plan's answer when this command is the one it waits for; counts the command otherwise.</summary>
    private Plan? Claim(ReadOnlySpan<byte> firstLine)
    {
        lock (_state)
        {
            if (_plan is not { } plan || firstLine.IndexOf(plan.Marker) < 0) return null;
            if (++_seen < plan.Occurrence) return null;
            _plan = null;
            _answeredAt = Stopwatch.GetTimestamp();
            _answered++;
            return plan;
        }
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
                return;
            }
            lock (_state)
            {
                _accepted.Add(Stopwatch.GetTimestamp());
                _peakOpen = Math.Max(_peakOpen, ++_open);
            }
            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        client.NoDelay = true;
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var relay = new Relay(this, client, server);
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, ct);
            lock (_state) _relays.Add(relay);
            await Task.WhenAll(relay.CommandsAsync(ct), relay.AnswersAsync(ct));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_state)
            {
                _relays.Remove(relay);
                _open--;
            }
            relay.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        await _accepting;
        List<Relay> open;
        lock (_state) open = [.. _relays];
        foreach (var relay in open) relay.Close();
        _closing.Dispose();
    }

    /// <summary>One client connection and its connection to the server.</summary>
    private sealed class Relay(ThrottlingProxy proxy, Socket client, Socket server)
    {
        private readonly SemaphoreSlim _toClient = new(1, 1);
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start, _end;
        private int _closed;

        /// <summary>The server's bytes, forwarded as they come (the proxy's own answers take turns with them).</summary>
        public async Task AnswersAsync(CancellationToken ct)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var n = await server.ReceiveAsync(buffer, SocketFlags.None, ct);
                    if (n == 0)
                    {
                        client.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    await SendToClientAsync(buffer.AsMemory(0, n), ct);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                Close();
            }
        }

        /// <summary>The client's commands, one at a time: forwarded piece by piece, or swallowed whole and answered.</summary>
        public async Task CommandsAsync(CancellationToken ct)
        {
            try
            {
                while (true)
                {
                    // A command: a line, and while a line ends by announcing a literal, the literal and the next line.
                    var line = await ReadLineAsync(ct);
                    if (line is null)
                    {
                        server.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    var plan = proxy.Claim(line);
                    var tag = Encoding.ASCII.GetString(line.AsSpan(0, Math.Max(0, line.AsSpan().IndexOf((byte)' '))));
                    while (true)
                    {
                        var literal = Literal(line);
                        if (plan is null) await SendAllAsync(server, line, ct);
                        if (literal is not { } n) break;
                        if (!n.NonSynchronising && plan is not null) await SendToClientAsync("+ Ready for literal data\r\n"u8.ToArray(), ct);
                        await CopyAsync(n.Length, plan is null ? server : null, ct);
                        line = await ReadLineAsync(ct) ?? throw new SocketException((int)SocketError.ConnectionReset);
                    }
                    if (plan is null) continue;
                    var answer = string.Concat(plan.Lines.Select(l => l.Replace(Tag, tag, StringComparison.Ordinal) + "\r\n"));
                    await SendToClientAsync(Encoding.ASCII.GetBytes(answer), ct);
                    if (plan.ThenClose)
                    {
                        client.Shutdown(SocketShutdown.Send);
                        Close();
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                Close();
            }
        }

        private static (int Length, bool NonSynchronising)? Literal(byte[] line)
        {
            // "... {123}\r\n" or "... {123+}\r\n" (LITERAL+), "{123-}" unused by our clients but harmless.
            var text = Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
            if (!text.EndsWith('}')) return null;
            var open = text.LastIndexOf('{');
            if (open < 0) return null;
            var inner = text[(open + 1)..^1];
            var plus = inner.EndsWith('+') || inner.EndsWith('-');
            return int.TryParse(plus ? inner[..^1] : inner, out var length) ? (length, plus) : null;
        }

        private async Task SendToClientAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
        {
            await _toClient.WaitAsync(ct);
            try
            {
                await SendAllAsync(client, bytes, ct);
            }
            finally
            {
                _toClient.Release();
            }
        }

        private static async Task SendAllAsync(Socket to, ReadOnlyMemory<byte> bytes, CancellationToken ct)
        {
            var sent = 0;
            while (sent < bytes.Length) sent += await to.SendAsync(bytes[sent..], SocketFlags.None, ct);
        }

        /// <summary>One line from the client, with its CRLF; null at the end of the stream.</summary>
        private async Task<byte[]?> ReadLineAsync(CancellationToken ct)
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end && !await FillAsync(ct)) return line.Count == 0 ? null : [.. line];
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                var stop = newline >= 0 ? newline + 1 : _end;
                line.AddRange(new ArraySegment<byte>(_buffer, _start, stop - _start));
                _start = stop;
                if (newline >= 0) return [.. line];
            }
        }

        /// <summary>Passes <paramref name="count"/> bytes of a literal on to <paramref name="to"/>, or drops them (null).</summary>
        private async Task CopyAsync(int count, Socket? to, CancellationToken ct)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync(ct)) throw new SocketException((int)SocketError.ConnectionReset);
                var n = Math.Min(count, _end - _start);
                if (to is not null) await SendAllAsync(to, _buffer.AsMemory(_start, n), ct);
                _start += n;
                count -= n;
            }
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            _start = _end = 0;
            var n = await client.ReceiveAsync(_buffer, SocketFlags.None, ct);
            _end = n;
            return n > 0;
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 1) return;
            client.Dispose();
            server.Dispose();
        }
    }
}
