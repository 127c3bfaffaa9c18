using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Retry;

namespace MigrationPortal.Email;

/// <summary>
/// Sends through one SMTP connection that it keeps open between messages, so a burst of invitations costs one
/// connect and one login. Sends are serialised: a MailKit client is not safe for concurrent use.
///
/// The open connection is used without asking first whether it is still alive (a NOOP before every message was a
/// round trip each). When a server timed it out or restarted meanwhile, the next message fails before the server took
/// its sender, so nothing of it reached the server: it is sent again, once, over a new connection. A failure later
/// in the exchange is reported, never resent here, because the server may have accepted the message.
/// </summary>
public sealed class SmtpEmailSender : IEmailSender, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(5);

    private readonly SmtpOptions _options;
    private readonly ILogger<SmtpEmailSender> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ResiliencePipeline _resendOnStaleConnection;
    private SenderTrackingClient? _client;
    private bool _disposed;

    public SmtpEmailSender(IOptions<SmtpOptions> options, ILogger<SmtpEmailSender> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        if (!_options.HasHost)
        {
            throw new ArgumentException("Smtp:Host is empty; use the pickup directory sender instead.", nameof(options));
        }

        _resendOnStaleConnection = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<StaleConnectionException>(),
                MaxRetryAttempts = 1,
                Delay = TimeSpan.Zero,
                OnRetry = args =>
                {
                    _logger.LogInformation(
                        "SMTP connection to {Endpoint} was lost ({Reason}); reconnecting",
                        Endpoint,
                        args.Outcome.Exception?.InnerException?.Message);
                    return default;
                },
            })
            .Build();
    }

    public string Endpoint => _options.Endpoint;

    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        DefaultSender.ApplyTo(message, _options.From);

        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _resendOnStaleConnection.ExecuteAsync(
                static (state, token) => state.Sender.SendOnceAsync(state.Message, token),
                (Sender: this, Message: message),
                ct);
        }
        catch (StaleConnectionException stale)
        {
            // Only a connection kept from before can be stale, and the resend uses a new one; kept as a safeguard.
            throw Describe(stale.InnerException!, connecting: false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask SendOnceAsync(MimeMessage message, CancellationToken ct)
    {
        var reused = _client is { IsConnected: true };
        var client = await GetConnectedClientAsync(ct);
        client.SenderAccepted = false;
        try
        {
            await client.SendAsync(message, ct);
            _logger.LogDebug("Sent message {MessageId} through SMTP server {Endpoint}", message.MessageId, Endpoint);
        }
        catch (Exception ex)
        {
            // A refused command leaves the session usable, except 421: the server is closing it. Anything else (I/O,
            // protocol, cancellation half-way through DATA) leaves it in an unknown state.
            var closing = ex is not SmtpCommandException || ex is SmtpCommandException { StatusCode: SmtpStatusCode.ServiceNotAvailable };
            if (closing)
            {
                await DropClientAsync();
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            if (reused && closing && !client.SenderAccepted)
            {
                throw new StaleConnectionException(ex);
            }

            throw Describe(ex, connecting: false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_client is { } client)
            {
                _client = null;
                try
                {
                    if (client.IsConnected)
                    {
                        using var timeout = new CancellationTokenSource(QuitTimeout);
                        await client.DisconnectAsync(quit: true, timeout.Token);
                    }
                }
                catch (Exception ex)
                {
                    _logger.LogDebug(ex, "QUIT to SMTP server {Endpoint} failed", Endpoint);
                }
                finally
                {
                    client.Dispose();
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    // A container that is disposed synchronously still gets a clean QUIT.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<SenderTrackingClient> GetConnectedClientAsync(CancellationToken ct)
    {
        if (_client is { IsConnected: true } open)
        {
            return open;
        }

        await DropClientAsync();

        var client = new SenderTrackingClient();
        var host = _options.Host!.Trim();
        // TCP_NODELAY: MailKit writes a message and its closing dot separately, and Nagle would hold the dot back until
        // the server acknowledged the message, which servers delay by up to 40 ms: the cost of every message.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, _options.Port, ct);
            await client.ConnectAsync(socket, host, _options.Port, SmtpSecurity.ToSocketOptions(_options), ct);
            if (!string.IsNullOrEmpty(_options.User))
            {
                await client.AuthenticateAsync(_options.User, _options.Password ?? "", ct);
            }
        }
        catch (Exception ex)
        {
            client.Dispose();
            socket.Dispose();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw Describe(ex, connecting: true);
        }

        // Without PIPELINING each command waits for its own reply. With it, a server that writes its replies to MAIL
        // FROM and RCPT TO one at a time (as the SmtpServer library does) leaves the second waiting for this side's
        // delayed acknowledgement, 40 ms a message; the round trip saved is far less on a relay nearby.
        client.Capabilities &= ~SmtpCapabilities.Pipelining;

        _logger.LogInformation(
            "Connected to SMTP server {Endpoint} ({Security}){Login}",
            Endpoint,
            SmtpSecurity.Describe(_options),
            string.IsNullOrEmpty(_options.User) ? "" : $" as {_options.User}");
        _client = client;
        return client;
    }

    private async Task DropClientAsync()
    {
        if (_client is not { } client)
        {
            return;
        }

        _client = null;
        try
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(quit: false, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Closing the SMTP connection to {Endpoint} failed", Endpoint);
        }
        finally
        {
            client.Dispose();
        }
    }

    private EmailDeliveryException Describe(Exception ex, bool connecting)
    {
        var endpoint = Endpoint;
        return ex switch
        {
            SmtpCommandException command => new EmailDeliveryException(
                endpoint,
                $"SMTP server {endpoint} answered {(int)command.StatusCode}{RecipientOf(command)}: {command.Message}",
                (int)command.StatusCode,
                ex),
            // MailKit turns a 530 reply into this exception and drops the code.
            ServiceNotAuthenticatedException => new EmailDeliveryException(
                endpoint,
                $"SMTP server {endpoint} answered 530: {ex.Message} (set Smtp:User and Smtp:Password)",
                530,
                ex),
            // MailKit's message already reads "535: ..."; the code itself is on the inner exception.
            AuthenticationException => new EmailDeliveryException(
                endpoint,
                $"SMTP server {endpoint} refused the login for user '{_options.User}': {ex.Message}",
                ex.InnerException is SmtpCommandException refused ? (int)refused.StatusCode : null,
                ex),
            SocketException socket when connecting => new EmailDeliveryException(
                endpoint,
                $"Could not connect to SMTP server {endpoint}: {socket.Message} ({socket.SocketErrorCode})",
                null,
                ex),
            _ when connecting => new EmailDeliveryException(
                endpoint,
                $"Could not connect to SMTP server {endpoint}: {ex.Message}",
                null,
                ex),
            _ => new EmailDeliveryException(
                endpoint,
                $"Sending through SMTP server {endpoint} failed: {ex.Message}",
                null,
                ex),
        };
    }

    private static string RecipientOf(SmtpCommandException command) =>
        command.ErrorCode == SmtpErrorCode.RecipientNotAccepted && command.Mailbox is not null
            ? $" for recipient {command.Mailbox.Address}"
            : command.ErrorCode == SmtpErrorCode.SenderNotAccepted && command.Mailbox is not null
                ? $" for sender {command.Mailbox.Address}"
                : "";

    /// <summary>Knows whether the server took the sender of the message under way: until it has, none of the message reached it.</summary>
    private sealed class SenderTrackingClient : SmtpClient
    {
        public bool SenderAccepted { get; set; }

        protected override void OnSenderAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
        {
            SenderAccepted = true;
            base.OnSenderAccepted(message, mailbox, response);
        }
    }

    /// <summary>A kept connection turned out closed before the server took anything of the message: safe to send it again.</summary>
    private sealed class StaleConnectionException(Exception inner) : Exception(inner.Message, inner);
}
