using System.Buffers;
using System.Security.Cryptography;

namespace MigrationPortal.Engine.Imap;

/// <summary>What the pass reads from a message's raw bytes to check the copy a destination stored.</summary>
public static class MessageBytes
{
    /// <summary>Whether the header section (up to the first empty line, at most 64 KB) has a byte over 127: raw 8-bit or UTF-8 header text.</summary>
    public static bool HasEightBitHeader(ReadOnlySequence<byte> bytes)
    {
        var header = bytes.Length > 64 * 1024 ? bytes.Slice(0, 64 * 1024) : bytes;
        byte last = (byte)'\n', beforeLast = 0;
        foreach (var segment in header)
        {
            foreach (var b in segment.Span)
            {
                // An empty line ends the header: "\n\n" or "\n\r\n".
                if (b == (byte)'\n' && (last == (byte)'\n' || (last == (byte)'\r' && beforeLast == (byte)'\n'))) return false;
                if (b > 127) return true;
                beforeLast = last;
                last = b;
            }
        }
        return false;
    }

    public static string Sha256(ReadOnlySequence<byte> bytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var segment in bytes) hash.AppendData(segment.Span);
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
