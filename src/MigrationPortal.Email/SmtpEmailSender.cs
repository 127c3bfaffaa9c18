using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace MigrationPortal.Email;

/// <summary>
/// Sends through one SMTP connection that it keeps open between messages, so a burst of invitations costs one
/// connect and one login. Sends are serialised: a MailKit client is not safe for concurrent use.
/// </summary>
public sealed class SmtpEmailSender : IEmailSender, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(5);

    private readonly SmtpOptions _options;
    private readonly ILogger<SmtpEmailSender> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SmtpClient? _client;
    private bool _disposed;

    public SmtpEmailSender(IOptions<SmtpOptions> options, ILogger<SmtpEmailSender> logger)
    {
        _options = options.Value;
        _logger = logger;
        if (!_options.HasHost)
        {
            throw new ArgumentException("Smtp:Host is empty; use the pickup directory sender instead.", nameof(options));
        }
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

            var client = await GetConnectedClientAsync(ct);
            try
            {
                await client.SendAsync(message, ct);
                _logger.LogDebug("Sent message {MessageId} through SMTP server {Endpoint}", message.MessageId, Endpoint);
            }
            catch (Exception ex)
            {
                // A refused command leaves the session usable (MailKit itself drops it on 421); anything else
                // (I/O, protocol, cancellation half-way through DATA) leaves it in an unknown state.
                if (ex is not SmtpCommandException)
                {
                    await DropClientAsync();
                }

                if (ex is OperationCanceledException)
                {
                    throw;
                }

                throw Describe(ex, connecting: false);
            }
        }
        finally
        {
            _gate.Release();
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

    private async Task<SmtpClient> GetConnectedClientAsync(CancellationToken ct)
    {
        if (_client is { IsConnected: true } open)
        {
            // IsConnected only knows what the socket last told it; a server that timed the session out or restarted
            // is found by asking.
            try
            {
                await open.NoOpAsync(ct);
                return open;
            }
            catch (Exception ex)
            {
                await DropClientAsync();
                if (ex is OperationCanceledException)
                {
                    throw;
                }

                _logger.LogInformation("SMTP connection to {Endpoint} was lost ({Reason}); reconnecting", Endpoint, ex.Message);
            }
        }
        else if (_client is not null)
        {
            await DropClientAsync();
        }

        var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(_options.Host!.Trim(), _options.Port, SmtpSecurity.ToSocketOptions(_options), ct);
            if (!string.IsNullOrEmpty(_options.User))
            {
                await client.AuthenticateAsync(_options.User, _options.Password ?? "", ct);
            }
        }
        catch (Exception ex)
        {
            client.Dispose();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw Describe(ex, connecting: true);
        }

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
}
