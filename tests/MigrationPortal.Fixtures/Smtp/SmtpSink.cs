using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Xunit;
using SmtpServerHost = SmtpServer.SmtpServer;
using SmtpServiceProvider = SmtpServer.ComponentModel.ServiceProvider;

namespace MigrationPortal.Fixtures.Smtp;

/// <summary>
/// A real SMTP server on 127.0.0.1 that keeps every message it receives. It can be stopped and started again
/// on the same port, so a test can watch a sender fail and then recover.
/// </summary>
public sealed class SmtpSink : IAsyncLifetime, IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly string? _user;
    private readonly string? _password;
    private readonly TimeSpan _sessionTimeout;
    private readonly object _gate = new();
    private readonly List<ReceivedMessage> _messages = [];
    private TaskCompletionSource _changed = NewSignal();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private SmtpServerHost? _server;
    private Task? _serverTask;
    private int _sessionCount;
    private int _quitCount;

    /// <summary>An open sink: no AUTH offered, any sender and recipient accepted.</summary>
    public SmtpSink()
        : this(user: null, password: null)
    {
    }

    /// <param name="user">When set, the sink offers AUTH PLAIN/LOGIN (without TLS) and refuses mail from a client that has not authenticated with this user and password.</param>
    /// <param name="password">The password that goes with <paramref name="user"/>.</param>
    /// <param name="sessionTimeout">How long one connection may live before the server drops it; SmtpServer's own default is 2 minutes, too short for a connection a sender keeps open across a test run.</param>
    public SmtpSink(string? user, string? password, TimeSpan? sessionTimeout = null)
    {
        if (string.IsNullOrEmpty(user) != string.IsNullOrEmpty(password))
        {
            throw new ArgumentException("Give both a user and a password, or neither.");
        }

        _user = string.IsNullOrEmpty(user) ? null : user;
        _password = password;
        _sessionTimeout = sessionTimeout ?? TimeSpan.FromMinutes(30);
    }

    public string Host => IPAddress.Loopback.ToString();

    /// <summary>Chosen on the first start and kept across stop/start.</summary>
    public int Port { get; private set; }

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _server is not null;
            }
        }
    }

    /// <summary>SMTP connections accepted since the sink was created, across restarts.</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    /// <summary>QUIT commands received: a client that closes its connection politely says QUIT first.</summary>
    public int QuitCount => Volatile.Read(ref _quitCount);

    /// <summary>Recipients (bare addresses) for which the sink answers RCPT TO with 550, as a server does for an unknown mailbox.</summary>
    public Func<string, bool>? RejectRecipient { get; set; }

    /// <summary>
    /// Messages the sink keeps but then closes the connection instead of answering 250, as when a connection breaks
    /// after the server took the message: the sender cannot tell whether it arrived.
    /// </summary>
    public Func<ReceivedMessage, bool>? HangUpAfterAccepting { get; set; }

    public IReadOnlyList<ReceivedMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToArray();
            }
        }
    }

    public async Task StartAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_server is not null)
            {
                return;
            }

            if (Port != 0)
            {
                await ListenAsync(Port);
                return;
            }

            // The free port is found by binding port 0 and letting go of it, so another process can take it in between: try a few.
            for (var attempt = 1; ; attempt++)
            {
                var port = MigrationPortal.Fixtures.LoopbackPort.Free();
                try
                {
                    await ListenAsync(port);
                    Port = port;
                    return;
                }
                catch (SocketException) when (attempt < 5)
                {
                }
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops listening and closes the open connections (the server answers 421 to their next command).</summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            SmtpServerHost? server;
            Task? serverTask;
            lock (_gate)
            {
                server = _server;
                serverTask = _serverTask;
                _server = null;
                _serverTask = null;
            }

            if (server is null || serverTask is null)
            {
                return;
            }

            server.Shutdown();
            await serverTask.WaitAsync(StopTimeout);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async Task<ReceivedMessage> WaitForMessageAsync(Func<ReceivedMessage, bool> predicate, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ReceivedMessage[] snapshot;
            Task changed;
            lock (_gate)
            {
                snapshot = _messages.ToArray();
                changed = _changed.Task;
            }

            var match = snapshot.FirstOrDefault(predicate);
            if (match is not null)
            {
                return match;
            }

            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException(DescribeTimeout(timeout, snapshot));
            }

            try
            {
                await changed.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                // Loop once more: the check at the top reports what arrived.
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _messages.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
    }

    Task IAsyncLifetime.InitializeAsync() => StartAsync();

    Task IAsyncLifetime.DisposeAsync() => StopAsync();

    private async Task ListenAsync(int port)
    {
        var services = new SmtpServiceProvider();
        services.Add(new SinkMessageStore(this));
        services.Add(new DelegatingMailboxFilter((IMailbox to, IMailbox _) => RejectRecipient?.Invoke(to.AsAddress()) != true));

        var listeners = new EndpointListenerFactory();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.EndpointStarted += (_, _) => listening.TrySetResult();
        services.Add(listeners);

        if (_user is not null)
        {
            services.Add(new DelegatingUserAuthenticator((user, password) => user == _user && password == _password));
        }

        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp-sink")
            .Endpoint(endpoint => endpoint
                .Endpoint(new IPEndPoint(IPAddress.Loopback, port))
                .SessionTimeout(_sessionTimeout)
                .AllowUnsecureAuthentication(_user is not null)
                .AuthenticationRequired(_user is not null))
            .Build();

        var server = new SmtpServerHost(options, services);
        server.SessionCreated += (_, session) =>
        {
            Interlocked.Increment(ref _sessionCount);
            session.Context.CommandExecuting += (_, command) =>
            {
                if (command.Command is QuitCommand)
                {
                    Interlocked.Increment(ref _quitCount);
                }
            };
        };

        var serverTask = server.StartAsync(CancellationToken.None);

        // The listener binds synchronously inside StartAsync; a bind failure faults the task instead of raising EndpointStarted.
        var first = await Task.WhenAny(listening.Task, serverTask);
        if (first == serverTask)
        {
            await serverTask;
            throw new InvalidOperationException($"The SMTP sink on port {port} stopped before it listened.");
        }

        lock (_gate)
        {
            _server = server;
            _serverTask = serverTask;
        }
    }

    private void Add(ReceivedMessage message)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _messages.Add(message);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.SetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string DescribeTimeout(TimeSpan timeout, IReadOnlyList<ReceivedMessage> arrived)
    {
        var summary = arrived.Count == 0
            ? "nothing arrived"
            : $"{arrived.Count} arrived: " + string.Join("; ", arrived.Select(m => m.ToString()));
        return $"No matching message reached the SMTP sink within {timeout.TotalSeconds:0.#} s; {summary}.";
    }

    private sealed class SinkMessageStore(SmtpSink sink) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(
            ISessionContext context,
            IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray(), writable: false);
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);

            var received = new ReceivedMessage(
                message,
                transaction.From.AsAddress(),
                transaction.To.Select(to => to.AsAddress()).ToArray(),
                context.Authentication.IsAuthenticated ? context.Authentication.User : null,
                context.SessionId);
            sink.Add(received);

            if (sink.HangUpAfterAccepting?.Invoke(received) == true)
            {
                context.Pipe.Dispose();
            }

            return SmtpResponse.Ok;
        }
    }
}
