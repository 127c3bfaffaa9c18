using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// What an authenticator app computes from the key the portal shows (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits),
/// written out here so the tests play the phone's part without sharing any of the portal's code.
/// </summary>
public static class Totp
{
    public static string Code(string readableKey, DateTimeOffset at)
    {
        var key = Base32(readableKey.Replace(" ", "").ToUpperInvariant());
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, at.ToUnixTimeSeconds() / 30);
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0f;
        var number = (BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(offset)) & 0x7fffffff) % 1_000_000;
        return number.ToString("D6");
    }

    public static string Now(string readableKey) => Code(readableKey, DateTimeOffset.UtcNow);

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
