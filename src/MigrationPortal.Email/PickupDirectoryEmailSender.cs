using System.Security.Cryptography;
using MimeKit;

namespace MigrationPortal.Email;

/// <summary>
/// Writes each message as an .eml file, for installs without an SMTP server (and for a person to open in a mail client).
/// Names start with the UTC send time so a directory listing is in send order.
/// </summary>
public sealed class PickupDirectoryEmailSender : IEmailSender
{
    private readonly string _from;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _clock = new();
    private long _lastTicks;

    public PickupDirectoryEmailSender(string directory, string from, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
        _from = from;
        _timeProvider = timeProvider;
    }

    public string Directory { get; }

    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        DefaultSender.ApplyTo(message, _from);

        var name = NextName();
        var path = Path.Combine(Directory, name + ".eml");
        // Same folder, so the rename is atomic; a reader that lists *.eml never sees half a message.
        var temporary = Path.Combine(Directory, "." + name + ".tmp");
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024, useAsync: true))
            {
                await message.WriteToAsync(stream, ct);
                await stream.FlushAsync(ct);
            }

            File.Move(temporary, path, overwrite: false);
        }
        catch (Exception ex)
        {
            TryDelete(temporary);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new EmailDeliveryException(Directory, $"Could not write {path}: {ex.Message}", null, ex);
        }
    }

    private string NextName()
    {
        long ticks;
        lock (_clock)
        {
            // Strictly increasing even when the clock stands still or steps back, so names keep send order.
            ticks = Math.Max(_timeProvider.GetUtcNow().UtcTicks, _lastTicks + 1);
            _lastTicks = ticks;
        }

        var timestamp = new DateTime(ticks, DateTimeKind.Utc).ToString("yyyyMMdd'T'HHmmss'.'fffffff'Z'");
        return $"{timestamp}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
