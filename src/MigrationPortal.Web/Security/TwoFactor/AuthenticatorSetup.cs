using System.Text;
using QRCoder;

namespace MigrationPortal.Web.Security.TwoFactor;

/// <summary>What an authenticator app needs to add the portal: the key in readable groups, and the same as a QR code.</summary>
public static class AuthenticatorSetup
{
    public const string Issuer = "MigrationPortal";

    /// <summary>The key as apps show it when typed by hand: lower case, in groups of four.</summary>
    public static string Readable(string key)
    {
        var readable = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
            readable.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        return readable.ToString().TrimEnd().ToLowerInvariant();
    }

    /// <summary>The key URI format Google Authenticator defined and every app reads (otpauth://totp/…).</summary>
    public static string KeyUri(string accountEmail, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(accountEmail)}?secret={key}&issuer={Uri.EscapeDataString(Issuer)}&digits=6";

    /// <summary>
    /// The QR code as inline SVG markup: the page's Content-Security-Policy allows images only from the portal itself, and
    /// an inline SVG is part of the page, so the key never travels in a URL or a second request.
    /// </summary>
    public static string QrCodeSvg(string keyUri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(keyUri, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(new System.Drawing.Size(220, 220), "#000000", "#ffffff", drawQuietZones: true);
    }
}
