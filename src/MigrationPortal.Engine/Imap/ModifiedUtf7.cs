using System.Text;

namespace MigrationPortal.Engine.Imap;

/// <summary>
/// IMAP's modified UTF-7 for mailbox names (RFC 3501 section 5.1.3). Written here because the APPEND writer speaks
/// the protocol itself, and MailKit's encoder (ImapEncoding) is internal to it.
/// </summary>
public static class ModifiedUtf7
{
    public static string Encode(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var result = new StringBuilder(name.Length + 8);
        var i = 0;
        while (i < name.Length)
        {
            var c = name[i];
            if (c is >= '\x20' and <= '\x7e')
            {
                result.Append(c == '&' ? "&-" : c);
                i++;
                continue;
            }
            var start = i;
            while (i < name.Length && name[i] is < '\x20' or > '\x7e')
                i++;
            var utf16 = Encoding.BigEndianUnicode.GetBytes(name, start, i - start);
            result.Append('&').Append(Convert.ToBase64String(utf16).TrimEnd('=').Replace('/', ',')).Append('-');
        }
        return result.ToString();
    }
}
