using System.Globalization;
using System.Text;

namespace MigrationPortal.Engine.Checkpoints;

/// <summary>
/// An ordered list of UIDs as text in IMAP's sequence-set syntax ("1:50,52,60:61"), so the map of a folder of 100,000
/// messages copied in order is a few bytes. Our own rather than MailKit's UniqueIdSet: that is a set, which keeps
/// insertion order only by searching every range on each add (quadratic for a folder with many gaps), while the map
/// needs a list whose i-th source UID pairs with the i-th destination UID.
/// </summary>
public static class UidList
{
    public static string Format(IEnumerable<uint> uids)
    {
        ArgumentNullException.ThrowIfNull(uids);
        var text = new StringBuilder();
        uint start = 0, end = 0;
        var open = false;
        foreach (var uid in uids)
        {
            if (open && end != uint.MaxValue && uid == end + 1)
            {
                end = uid;
                continue;
            }
            if (open) Append(text, start, end);
            (start, end, open) = (uid, uid, true);
        }
        if (open) Append(text, start, end);
        return text.ToString();

        static void Append(StringBuilder text, uint start, uint end)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(start.ToString(CultureInfo.InvariantCulture));
            if (end != start) text.Append(':').Append(end.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary><paramref name="list"/> followed by <paramref name="more"/>, a run across the seam written as one range.</summary>
    public static string Append(string list, IEnumerable<uint> more)
    {
        ArgumentNullException.ThrowIfNull(list);
        var tail = Format(more);
        if (list.Length == 0) return tail;
        if (tail.Length == 0) return list;
        var cut = list.LastIndexOf(',') + 1;
        var (lastStart, lastEnd) = Range(list[cut..]);
        var comma = tail.IndexOf(',', StringComparison.Ordinal);
        var (firstStart, firstEnd) = Range(comma < 0 ? tail : tail[..comma]);
        if (lastEnd == uint.MaxValue || firstStart != lastEnd + 1) return $"{list},{tail}";
        return string.Create(CultureInfo.InvariantCulture, $"{list[..cut]}{lastStart}:{firstEnd}{(comma < 0 ? "" : tail[comma..])}");
    }

    private static (uint Start, uint End) Range(string item)
    {
        var colon = item.IndexOf(':', StringComparison.Ordinal);
        var start = uint.Parse(colon < 0 ? item : item[..colon], NumberStyles.None, CultureInfo.InvariantCulture);
        var end = colon < 0 ? start : uint.Parse(item[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
        if (end < start) throw new FormatException($"A UID range runs backwards: {item}");
        return (start, end);
    }

    /// <exception cref="FormatException">Not a list this class wrote.</exception>
    public static List<uint> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var uids = new List<uint>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (start, end) = Range(item);
            for (var uid = start; ; uid++)
            {
                uids.Add(uid);
                if (uid == end) break;
            }
        }
        return uids;
    }

    /// <summary>Pairs what <see cref="Format"/> wrote for the source and the destination back into a map.</summary>
    /// <exception cref="FormatException">The two lists are not of one length.</exception>
    public static void AddPairs(IDictionary<uint, uint> map, string source, string destination)
    {
        ArgumentNullException.ThrowIfNull(map);
        var from = Parse(source);
        var to = Parse(destination);
        if (from.Count != to.Count) throw new FormatException($"A copied-message map pairs {from.Count} source UIDs with {to.Count} destination UIDs.");
        for (var i = 0; i < from.Count; i++) map[from[i]] = to[i];
    }
}
