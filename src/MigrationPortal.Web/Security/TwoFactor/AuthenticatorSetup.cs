using System.Text;
using QRCoder;

namespace MigrationPortal.Web.Security.TwoFactor;

/// <summary>What an authenticator app needs to add the portal: the key in readable groups, and the same as a QR code.</summary>
public static class AuthenticatorSetup
{
    public const string Issuer = "MigrationPortal";

    /// <summary>A typed code as the portal compares it: apps show "123 456", recovery codes are copied in either case.</summary>
    public static string Normalise(string typed) => string.Concat(typed.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();

    /// <summary>Six digits: a code from the app; anything else is taken for a recovery code.</summary>
    public static bool IsAppCode(string code) => code.Length == 6 && code.All(char.IsAsciiDigit);

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
