using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MigrationPortal.Fixtures.Faults;

/// <summary>Which way the bytes counted towards a cut flow.</summary>
public enum CutDirection
{
    /// <summary>What the server sends: a FETCH's literal, an APPEND's tagged answer.</summary>
    ServerToClient,

    /// <summary>What the client sends: an APPEND's literal.</summary>
    ClientToServer,
}

/// <summary>
/// A TCP proxy on a loopback port in front of a real server that forwards every connection byte for byte and, when
/// told to, breaks one of them once at a chosen byte: as a NAT timeout, a load balancer or a server crash would, in the
/// middle of whatever was flowing. Works below TLS as well as below plain IMAP: it only counts bytes and looks for a
/// marker in what the client sends.
/// </summary>
public sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _accepting;
    private readonly Lock _open = new();
    private readonly HashSet<Relay> _relays = [];
    private CutPlan? _plan;
    private int _cuts;
    private int _connections;

    public CuttingProxy(string targetHost, int targetPort)
    {
        (_targetHost, _targetPort) = (targetHost, targetPort);
        // Bound to port 0 rather than to LoopbackPort.Free(): the kernel's pick is ours from the start, so there is no
        // race with another fixture to retry, and nothing needs the port before the proxy listens.
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_closing.Token);
    }

    public string Host => "127.0.0.1";
    public int Port { get; }

    /// <summary>Connections broken on purpose: what a test asserts to know its fault was really injected.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>Connections accepted so far; one more after a cut means the client came back.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// Breaks the first connection that lets more than <paramref name="afterBytes"/> bytes flow in
    /// <paramref name="direction"/>: those bytes are forwarded, the next are not, and both sockets are reset (RST).
    /// With a <paramref name="marker"/>, a connection starts counting only once its client has sent the marker for the
    /// <paramref name="occurrence"/>-th time, so the cut lands inside that command (its literal, or its answer) rather
    /// than at the login; client bytes count from the end of the marker, server bytes from the next ones sent.
    /// Once only: later connections, the client's reconnection among them, are forwarded untouched.
    /// </summary>
    /// <remarks>
    /// The reset may discard forwarded bytes still in the kernel's buffers, so the receiving side gets at most
    /// <paramref name="afterBytes"/> of them, never more. Connections already open count from this call on.
    /// </remarks>
    public void CutOnce(CutDirection direction, long afterBytes, string? marker = null, int occurrence = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(occurrence, 1);
        if (marker is { Length: 0 }) throw new ArgumentException("An empty marker would match anything.", nameof(marker));
        Volatile.Write(ref _plan, new CutPlan(direction, afterBytes, marker is null ? null : Encoding.ASCII.GetBytes(marker), occurrence));
    }

    private sealed record CutPlan(CutDirection Direction, long AfterBytes, byte[]? Marker, int Occurrence);

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        client.NoDelay = true;
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, ct);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // The server is down: the client sees what it would see connecting to it directly, a refused connection.
            Reset(client);
            server.Dispose();
            return;
        }
        var relay = new Relay(this, client, server);
        lock (_open) _relays.Add(relay);
        try
        {
            await Task.WhenAll(relay.PumpAsync(CutDirection.ClientToServer, ct), relay.PumpAsync(CutDirection.ServerToClient, ct));
        }
        finally
        {
            lock (_open) _relays.Remove(relay);
            relay.Close();
        }
    }

    /// <summary>Closes with SO_LINGER 0: the peer gets a reset, not an orderly end, exactly as when a link or process dies.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        await _accepting;
        List<Relay> open;
        lock (_open) open = [.. _relays];
        foreach (var relay in open) relay.Close();
        _closing.Dispose();
    }

    /// <summary>One client connection and the connection to the server it is forwarded over.</summary>
    private sealed class Relay(CuttingProxy proxy, Socket client, Socket server)
    {
        private readonly Lock _state = new();
        private CutPlan? _plan;
        private int _markersSeen;
        private byte[] _tail = [];
        private bool _counting;
        private long _counted;
        private bool _closed;

        public async Task PumpAsync(CutDirection direction, CancellationToken ct)
        {
            var (from, to) = direction == CutDirection.ClientToServer ? (client, server) : (server, client);
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var n = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                    if (n == 0)
                    {
                        // An orderly end is passed on as one, so LOGOUT and the like look as they would without the proxy.
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    var (forward, cut) = Inspect(direction, buffer.AsSpan(0, n));
                    var sent = 0;
                    while (sent < forward)
                        sent += await to.SendAsync(buffer.AsMemory(sent, forward - sent), SocketFlags.None, ct);
                    if (cut)
                    {
                        Close();
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The other side went away, or the proxy cut or closed this connection: both sockets go.
                Close();
            }
        }

        /// <returns>How many of the bytes to forward, and whether to break the connection after them.</returns>
        private (int Forward, bool Cut) Inspect(CutDirection direction, ReadOnlySpan<byte> chunk)
        {
            lock (_state)
            {
                var plan = Volatile.Read(ref proxy._plan);
                if (plan is null) return (chunk.Length, false);
                if (!ReferenceEquals(plan, _plan))
                {
                    // A new plan: this connection counts afresh from here.
                    (_plan, _markersSeen, _tail, _counting, _counted) = (plan, 0, [], plan.Marker is null, 0);
                }

                var countFrom = 0;
                if (!_counting)
                {
                    if (direction != CutDirection.ClientToServer || FindMarker(plan, chunk) is not { } end) return (chunk.Length, false);
                    _counting = true;
                    // Client bytes count from the end of the marker; the server's from its next bytes on, its answer.
                    countFrom = end;
                }
                if (direction != plan.Direction) return (chunk.Length, false);

                var countable = chunk.Length - countFrom;
                if (_counted + countable <= plan.AfterBytes)
                {
                    _counted += countable;
                    return (chunk.Length, false);
                }
                // Only one connection, once, gets the cut: the plan is taken from the proxy as it is carried out.
                if (Interlocked.CompareExchange(ref proxy._plan, null, plan) != plan) return (chunk.Length, false);
                Interlocked.Increment(ref proxy._cuts);
                return (countFrom + (int)(plan.AfterBytes - _counted), true);
            }
        }

        /// <summary>Where in the chunk the plan's marker ends for the occurrence-th time, looking across chunk boundaries.</summary>
        private int? FindMarker(CutPlan plan, ReadOnlySpan<byte> chunk)
        {
            var marker = plan.Marker!;
            var joined = new byte[_tail.Length + chunk.Length];
            _tail.CopyTo(joined, 0);
            chunk.CopyTo(joined.AsSpan(_tail.Length));
            int? found = null;
            var matchedUpTo = 0;
            while (found is null && joined.AsSpan(matchedUpTo).IndexOf(marker) is var i and >= 0)
            {
                matchedUpTo += i + marker.Length;
                if (++_markersSeen == plan.Occurrence) found = matchedUpTo - _tail.Length;
            }
            // What may begin a marker the next chunk completes: fewer bytes than a marker, none of them part of one
            // already counted, so no marker ends inside the tail or is counted twice.
            _tail = joined.AsSpan(Math.Max(matchedUpTo, joined.Length - (marker.Length - 1))).ToArray();
            return found;
        }

        public void Close()
        {
            lock (_state)
            {
                if (_closed) return;
                _closed = true;
            }
            Reset(client);
            Reset(server);
        }
    }
}
