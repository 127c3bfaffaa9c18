using System.Globalization;

namespace MigrationPortal.Web.Projects.Discovery;

/// <summary>An email domain as an admin types it: "example.org", "@example.org" or an address at it.</summary>
public static class MailDomain
{
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    /// <returns>The domain in lowercase ASCII (punycode for international names), or null with <paramref name="error"/> saying why.</returns>
    public static string? Parse(string? typed, out string error)
    {
        error = "";
        var text = (typed ?? "").Trim();
        if (text.Contains('@', StringComparison.Ordinal))
            text = text[(text.LastIndexOf('@') + 1)..];
        text = text.TrimEnd('.');
        if (text.Length == 0)
        {
            error = "Type the email domain to look up, e.g. example.org.";
            return null;
        }
        string ascii;
        try
        {
            ascii = Idn.GetAscii(text).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = $"'{Shorten(typed!.Trim())}' is not a domain name: use letters, digits and hyphens between dots, e.g. example.org.";
            return null;
        }
        if (ascii.Length > 253 || !ascii.Contains('.', StringComparison.Ordinal) || ascii.Split('.').Any(label => label.Length is 0 or > 63))
        {
            error = $"'{Shorten(typed!.Trim())}' is not a domain name: it needs at least one dot, e.g. example.org, and at most 253 characters.";
            return null;
        }
        return ascii;
    }

    /// <summary>Whether a host name read from DNS or an autoconfig file is one to connect to.</summary>
    public static bool IsHostName(string host) =>
        host.Length is > 0 and <= 253
        && host.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
