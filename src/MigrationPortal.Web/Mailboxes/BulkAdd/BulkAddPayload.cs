using System.Buffers.Text;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;

namespace MigrationPortal.Web.Mailboxes.BulkAdd;

/// <summary>
/// Carries the preview's valid rows to the confirm in a hidden field, so that nothing of the file is kept anywhere
/// between the two steps: not the file (on disk or in the database), not the rows on the server. This rather than
/// asking for the file again on confirm: a browser cannot re-attach it, and the admin would have to pick the same file
/// twice and get what the preview showed only if it had not changed meanwhile. And rather than a server-side cache: the
/// rows would be lost on a restart and missing on another instance, where the shared key ring still reads the field.
///
/// The field is DataProtection-protected under its own purpose (encrypted and authenticated: a changed byte fails) and
/// expires after <see cref="Lifetime"/>. The passwords inside are already the <see cref="Core.IPasswordProtector"/>
/// ciphertext the mailboxes will store, so no clear password is in the page even if this protection were removed.
/// The JSON is compressed first (addresses repeat, and 20,000 rows are several megabytes otherwise); what could be
/// learnt from the size is of ciphertext and of addresses the admin already has.
/// </summary>
public sealed class BulkAddPayload(IDataProtectionProvider provider, TimeProvider time)
{
    public const string Purpose = "MigrationPortal.BulkAdd.PreviewRows.v1";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector(Purpose).ToTimeLimitedDataProtector();

    public string Protect(int projectId, IReadOnlyList<BulkAddRow> rows)
    {
        using var compressed = new MemoryStream();
        using (var brotli = new BrotliStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            JsonSerializer.Serialize(brotli, new Batch(projectId, rows));
        return Base64Url.EncodeToString(_protector.Protect(compressed.ToArray(), time.GetUtcNow() + Lifetime));
    }

    /// <returns>The rows, or null when the field was changed, has expired, or was made for another project.</returns>
    public IReadOnlyList<BulkAddRow>? Unprotect(int projectId, string? payload)
    {
        if (string.IsNullOrEmpty(payload)) return null;
        try
        {
            // DataProtection checks the expiry against the system clock; the portal's clock is asked too, so that
            // the lifetime is the one TimeProvider tells (and tests can move it).
            var bytes = _protector.Unprotect(Base64Url.DecodeFromChars(payload), out var expiration);
            if (expiration <= time.GetUtcNow()) return null;
            using var brotli = new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress);
            var batch = JsonSerializer.Deserialize<Batch>(brotli);
            return batch is not null && batch.ProjectId == projectId ? batch.Rows : null;
        }
        catch (Exception e) when (e is CryptographicException or FormatException or JsonException or InvalidDataException)
        {
            return null;
        }
    }

    private sealed record Batch(
        [property: JsonPropertyName("p")] int ProjectId,
        [property: JsonPropertyName("r")] IReadOnlyList<BulkAddRow> Rows);
}
