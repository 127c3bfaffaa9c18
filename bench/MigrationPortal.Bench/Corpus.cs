using System.Globalization;
using System.Text;
using MailKit;
using MimeKit;

namespace MigrationPortal.Bench;

/// <summary>One generated message: its bytes (LF line ends, as a maildir stores them), where it goes, how it is marked.</summary>
public sealed record GeneratedMessage(int Index, string Folder, byte[] Bytes, DateTimeOffset InternalDate, MessageFlags Flags,
    IReadOnlyList<string> Keywords, string MessageId);

/// <summary>
/// The deterministic corpus: the same count, seed and profile give the same bytes, flags, keywords and dates on any
/// machine (System.Random with a seed is a fixed algorithm). 14 folders, nested and non-ASCII names, one empty;
/// sizes log-normal around ~14 KB (mean ~30 KB with the few 1–5 MB messages), or 1–5 KB for --scale.
/// </summary>
public sealed class Corpus(int seed, bool small)
{
    // (path, share of the messages, profile)
    public static readonly (string Path, double Share, string Profile)[] FolderPlan =
    [
        ("INBOX", 0.27, "inbox"),
        ("Sent", 0.14, "sent"),
        ("Drafts", 0.01, "drafts"),
        ("Archive", 0.04, "archive"),
        ("Archive/2019", 0.09, "archive"),
        ("Archive/2020", 0.09, "archive"),
        ("Archive/2021", 0.08, "archive"),
        ("Projects", 0.02, "inbox"),
        ("Projects/Alpha", 0.08, "project"),
        ("Projects/Beta", 0.05, "project"),
        ("Lists/debian-devel", 0.10, "list"),
        ("Rechnungen/Ärzte & Zahnärzte", 0.02, "archive"),
        ("Junk", 0.01, "junk"),
        ("Trash", 0.0, "trash"),
    ];

    public static readonly string[] KeywordNames = ["$Forwarded", "$Junk", "$Label1", "Wichtig"];

    private static readonly string[] Words = ("the of and to in is that for it as with was on be by at this from or have an are " +
        "not but which one all were they their there been has more when will would who so no meeting project report budget " +
        "invoice release server migration mailbox folder please thanks regards attached review schedule deadline update " +
        "customer contract quarterly Rechnung Besprechung bitte danke Grüße Änderung für über Straße Zürich naïve café " +
        "deployment rollback latency throughput backup restore archive policy ticket").Split(' ');

    private static readonly string[] Names = ["Anna Meyer", "Ben Novak", "Carla Rossi", "David Smith", "Eva Jensen", "Frank Müller",
        "Greta Larsen", "Hugo Dubois", "Inès García", "Jonas Brown"];

    private static readonly DateTimeOffset From = new(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2025, 6, 30, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Which folder each of <paramref name="count"/> messages goes to (the first folder takes the rounding).</summary>
    public static string[] Assign(int count)
    {
        var counts = FolderPlan.Select(f => (int)(count * f.Share)).ToArray();
        counts[0] += count - counts.Sum();
        return [.. FolderPlan.SelectMany((f, i) => Enumerable.Repeat(f.Path, counts[i]))];
    }

    public GeneratedMessage Generate(int index, string folder)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + index * 7919 + 17));
        var profile = FolderPlan.First(f => f.Path == folder).Profile;
        var big = !small && rng.NextDouble() < 0.003;
        var target = small ? rng.Next(1_000, 5_000)
            : big ? rng.Next(1 << 20, 5 << 20)
            : (int)Math.Clamp(Math.Exp(Math.Log(14_000) + 1.0 * Gaussian(rng)), 1_500, 400_000);

        var date = From.AddSeconds(rng.NextInt64((long)(To - From).TotalSeconds));
        if (folder.StartsWith("Archive/20", StringComparison.Ordinal))
            date = new DateTimeOffset(int.Parse(folder[^4..], CultureInfo.InvariantCulture), 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(rng.Next(364 * 86_400));
        var messageId = $"bench-{seed}-{index}-{rng.Next():x8}@corpus.example";

        var text = new StringBuilder();
        var header = new StringBuilder();
        var sender = Names[rng.Next(Names.Length)];
        header.Append(CultureInfo.InvariantCulture,
            $"Received: from mx{rng.Next(1, 9)}.example.net ([192.0.2.{rng.Next(1, 254)}])\n\tby mail.corpus.example with ESMTPS; {date.AddSeconds(-rng.Next(5, 900)):ddd, dd MMM yyyy HH:mm:ss} +0000\n");
        header.Append(CultureInfo.InvariantCulture, $"Date: {date.AddSeconds(-rng.Next(5, 900)):ddd, dd MMM yyyy HH:mm:ss} +0000\n");
        header.Append("From: ").Append(Encode(sender)).Append(" <").Append(Ascii(sender)).Append("@example.org>\n");
        header.Append("To: \"Bench User\" <bench@corpus.example>\n");
        header.Append("Subject: ").Append(Encode(Sentence(rng, rng.Next(2, 9)))).Append('\n');
        header.Append("Message-ID: <").Append(messageId).Append(">\n");
        if (profile == "list")
            header.Append("List-Id: <debian-devel.lists.example.org>\n");
        header.Append("MIME-Version: 1.0\n");

        var room = Math.Max(200, target - header.Length - 200);
        var boundary = $"=_bench_{rng.NextInt64():x16}";
        if (big || room > 24_000)
        {
            header.Append("Content-Type: multipart/mixed; boundary=\"").Append(boundary).Append("\"\n\n");
            var bodyText = Math.Min(room / 8, 6_000);
            text.Append("--").Append(boundary).Append("\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n");
            text.Append(Paragraphs(rng, bodyText)).Append('\n');
            var raw = new byte[(room - bodyText) * 57 / 78];
            rng.NextBytes(raw);
            text.Append("--").Append(boundary).Append(CultureInfo.InvariantCulture,
                $"\nContent-Type: application/pdf; name=\"report-{index}.pdf\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"report-{index}.pdf\"\n\n");
            var b64 = Convert.ToBase64String(raw);
            for (var i = 0; i < b64.Length; i += 76)
                text.Append(b64.AsSpan(i, Math.Min(76, b64.Length - i))).Append('\n');
            text.Append("--").Append(boundary).Append("--\n");
        }
        else if (room > 3_000 && rng.NextDouble() < 0.5)
        {
            header.Append("Content-Type: multipart/alternative; boundary=\"").Append(boundary).Append("\"\n\n");
            var plain = Paragraphs(rng, room / 3);
            text.Append("--").Append(boundary).Append("\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n").Append(plain).Append('\n');
            text.Append("--").Append(boundary).Append("\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n<html><body>\n");
            foreach (var p in Paragraphs(rng, room - room / 3 - 300).Split("\n\n"))
                text.Append("<p>").Append(p).Append("</p>\n");
            text.Append("</body></html>\n--").Append(boundary).Append("--\n");
        }
        else
        {
            header.Append("Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n");
            text.Append(Paragraphs(rng, room)).Append('\n');
        }

        var flags = MessageFlags.None;
        var keywords = new List<string>();
        if (profile is "sent" or "drafts" or "archive" || rng.NextDouble() < 0.75) flags |= MessageFlags.Seen;
        if (profile is not "sent" and not "drafts" && rng.NextDouble() < 0.15) flags |= MessageFlags.Answered;
        if (rng.NextDouble() < 0.05) flags |= MessageFlags.Flagged;
        if (profile == "drafts") flags |= MessageFlags.Draft;
        if (rng.NextDouble() < 0.03) keywords.Add("$Forwarded");
        if (profile == "junk") keywords.Add("$Junk");
        if (rng.NextDouble() < 0.02) keywords.Add("$Label1");
        if (rng.NextDouble() < 0.01) keywords.Add("Wichtig");
        return new GeneratedMessage(index, folder, Encoding.UTF8.GetBytes(header.Append(text).ToString()), date, flags, keywords, messageId);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static string Sentence(Random rng, int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(_ => Words[rng.Next(Words.Length)]));

    private static string Paragraphs(Random rng, int bytes)
    {
        var text = new StringBuilder();
        var line = 0;
        while (text.Length < bytes)
        {
            var word = Words[rng.Next(Words.Length)];
            if (line + word.Length > 72)
            {
                text.Append(rng.NextDouble() < 0.1 ? "\n\n" : "\n");
                line = 0;
            }
            text.Append(word).Append(' ');
            line += word.Length + 1;
        }
        return text.ToString();
    }

    private static string Encode(string text) =>
        text.Any(c => c > 127) ? Encoding.ASCII.GetString(MimeKit.Utils.Rfc2047.EncodeText(Encoding.UTF8, text)) : text;

    private static string Ascii(string name) =>
        new(name.ToLowerInvariant().Select(c => c is >= 'a' and <= 'z' ? c : '.').ToArray());
}
