using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;

namespace MigrationPortal.Engine.Passes;

/// <summary>
/// An IMAP extension the pass would use that a server does not offer, and what the pass does instead. Listed in the
/// pass's statistics so an admin who sees a slow pass or a Delta that reads every message's flags knows why.
/// </summary>
/// <param name="Side">"source" or "destination".</param>
/// <param name="Extension">The extension's capability name, as the server would advertise it (e.g. MULTIAPPEND).</param>
/// <param name="Instead">What the pass does without it.</param>
public sealed record ExtensionFallback(string Side, string Extension, string Instead)
{
    public override string ToString() => $"The {Side} has no {Extension}: {Instead}.";
}

/// <summary>A source folder created under another name because the destination cannot have its own; reported with the pass.</summary>
/// <param name="Source">The folder as the user sees it on the source (levels joined by "/").</param>
/// <param name="Destination">Where its messages went, as the user sees it on the destination.</param>
/// <param name="Reason">Why, in the destination's words where it gave any.</param>
public sealed record FolderRename(string Source, string Destination, string Reason)
{
    public override string ToString() => $"{Source} → {Destination} ({Reason})";
}

/// <summary>
/// What the pass adapts to between two IMAP implementations: the extensions one lacks, the folder names one refuses,
/// and special folders on servers without SPECIAL-USE (RFC 6154).
/// </summary>
public static partial class ServerDifferences
{
    /// <summary>The character a folder name's refused characters become: one rule, so the admin can predict the name.</summary>
    public const char Replacement = '_';

    /// <summary>
    /// The extensions the pass uses that either server lacks, with what the pass does instead. MailKit falls back by
    /// itself for LIST-STATUS (a STATUS per folder) and the pass for the rest; this only says so.
    /// </summary>
    public static IReadOnlyList<ExtensionFallback> Fallbacks(ImapCapabilities source, ImapCapabilities destination)
    {
        var list = new List<ExtensionFallback>();
        if (!source.HasFlag(ImapCapabilities.ListStatus))
            list.Add(new("source", "LIST-STATUS", "one STATUS command per folder to count its messages"));
        if (!source.HasFlag(ImapCapabilities.CondStore))
            list.Add(new("source", "CONDSTORE", "a Delta compares the flags of every copied message instead of only those changed since the last pass"));
        if ((source & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) == 0)
            list.Add(new("source", "SPECIAL-USE", "its Sent, Drafts, Trash, Junk and Archive folders are recognised by their usual names"));
        if (!destination.HasFlag(ImapCapabilities.ListStatus))
            list.Add(new("destination", "LIST-STATUS", "a Delta reads each folder's UIDVALIDITY with one STATUS command per folder"));
        if ((destination & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) == 0)
            list.Add(new("destination", "SPECIAL-USE", "its special folders are found by their usual names, or created under the source's names"));
        if (!destination.HasFlag(ImapCapabilities.MultiAppend))
            list.Add(new("destination", "MULTIAPPEND", "one APPEND command per message instead of up to 50 in one"));
        if (!destination.HasFlag(ImapCapabilities.LiteralPlus))
            list.Add(new("destination", "LITERAL+", "each message's bytes wait for the server's go-ahead (one more round trip per message)"));
        if (!destination.HasFlag(ImapCapabilities.UidPlus))
            list.Add(new("destination", "UIDPLUS", "the folder's UIDNEXT is read again after each batch, and a Delta finds a copy by its Message-ID, date and size to carry flag changes over"));
        return list;
    }

    private static readonly (SpecialFolder Role, string[] Names)[] UsualNames =
    [
        (SpecialFolder.Sent, ["Sent", "Sent Items", "Sent Messages", "Sent Mail", "Gesendet", "Gesendete Elemente", "Gesendete Objekte"]),
        (SpecialFolder.Drafts, ["Drafts", "Draft", "Entwürfe"]),
        (SpecialFolder.Trash, ["Trash", "Deleted Items", "Deleted Messages", "Bin", "Papierkorb", "Gelöschte Elemente"]),
        (SpecialFolder.Junk, ["Junk", "Junk E-mail", "Junk Email", "Spam", "Bulk Mail", "Junk-E-Mail"]),
        (SpecialFolder.Archive, ["Archive", "Archives", "Archiv"]),
    ];

    /// <summary>
    /// The role a top-level folder's name says it has, for servers without SPECIAL-USE: what mail clients (and
    /// imapsync's --automap) go by. Case aside; null for any other name.
    /// </summary>
    public static SpecialFolder? RoleByName(string name)
    {
        foreach (var (role, names) in UsualNames)
            if (names.Any(n => n.Equals(name, StringComparison.OrdinalIgnoreCase))) return role;
        return null;
    }

    /// <summary>
    /// A folder level the destination can hold: its delimiter inside the name becomes <see cref="Replacement"/>
    /// (otherwise "Q3.2026" would become "Q3" with a child "2026" on a server whose delimiter is "."), as do
    /// characters no IMAP name may have (control characters). Null when the level needs no change.
    /// </summary>
    public static string? WithoutDelimiter(string level, char delimiter)
    {
        if (!level.Any(c => c == delimiter || char.IsControl(c))) return null;
        return new string([.. level.Select(c => c == delimiter || char.IsControl(c) ? Replacement : c)]);
    }

    /// <summary>
    /// The name to try when the destination refused a level: every character but letters, digits, spaces and
    /// - _ &amp; + , ( ) @ # ' becomes <see cref="Replacement"/> (so does a "." or "~", which Dovecot refuses at the start
    /// of a name). What is left is accepted by Dovecot, Cyrus and Courier alike. Null when that changes nothing: then
    /// the refusal was not about the name, and it stands.
    /// </summary>
    public static string? Portable(string level)
    {
        var builder = new StringBuilder(level.Length);
        foreach (var c in level)
            builder.Append(char.IsLetterOrDigit(c) || c is ' ' or '-' or '_' or '&' or '+' or ',' or '(' or ')' or '@' or '#' or '\'' ? c : Replacement);
        var portable = builder.ToString();
        return portable == level ? null : portable;
    }

    /// <summary>A server's answer without Dovecot's timing, "(0.001 + 0.000 secs).", which says nothing to an admin.</summary>
    public static string Words(string answer) => Timing().Replace(answer, "").Trim();

    [GeneratedRegex(@"\s*\(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)\.?$")]
    private static partial Regex Timing();
}
