using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Web.Startup;

namespace MigrationPortal.Web.Access;

/// <summary>
/// The token in an emailed link: the credential request's id and nonce, protected under one versioned purpose.
/// The token proves nothing by itself; whether the link still works is decided against the database.
/// </summary>
public sealed class CredentialLinks(IDataProtectionProvider provider, IOptions<PortalOptions> options)
{
    public const string Purpose = "MigrationPortal.CredentialLink.v1";

    /// <summary>The purpose the token is encrypted under to be kept with its request (for reminders, Resend, the status emails).</summary>
    public const string KeptPurpose = "MigrationPortal.CredentialLink.Kept.v1";
    public const string RoutePrefix = "/access/";
    private const int PayloadLength = 16 + CredentialRequest.NonceBytes;

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);
    private readonly IDataProtector _kept = provider.CreateProtector(KeptPurpose);

    /// <summary>The token encrypted to be stored with its request: the database never holds a working link in clear.</summary>
    public string Keep(string token) => Convert.ToBase64String(_kept.Protect(System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>The link a request keeps, the same one its first email carried; false when there is none or it cannot be read (keys lost).</summary>
    public bool TryReadKept(string? kept, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? link)
    {
        link = null;
        if (string.IsNullOrEmpty(kept)) return false;
        try
        {
            link = CreateLink(System.Text.Encoding.UTF8.GetString(_kept.Unprotect(Convert.FromBase64String(kept))));
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }
    }

    public string CreateToken(Guid requestId, byte[] nonce)
    {
        if (nonce.Length != CredentialRequest.NonceBytes) throw new ArgumentException("Unexpected nonce length.", nameof(nonce));
        var payload = new byte[PayloadLength];
        requestId.TryWriteBytes(payload);
        nonce.CopyTo(payload, 16);
        return WebEncoders.Base64UrlEncode(_protector.Protect(payload));
    }

    /// <summary>The link always starts from Portal:PublicBaseUrl, never from the request's Host or forwarded headers.</summary>
    public Uri CreateLink(string token)
    {
        var baseUrl = options.Value.PublicBaseUrl?.TrimEnd('/')
            ?? throw new InvalidOperationException("Portal:PublicBaseUrl is not set, so no link can be emailed.");
        return new Uri(baseUrl + RoutePrefix + token);
    }

    public bool TryRead(string? token, out Guid requestId, out byte[] nonce)
    {
        requestId = Guid.Empty;
        nonce = [];
        if (string.IsNullOrEmpty(token) || token.Length > 512) return false;
        try
        {
            var payload = _protector.Unprotect(WebEncoders.Base64UrlDecode(token));
            if (payload.Length != PayloadLength) return false;
            requestId = new Guid(payload.AsSpan(0, 16));
            nonce = payload[16..];
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }
    }
}
