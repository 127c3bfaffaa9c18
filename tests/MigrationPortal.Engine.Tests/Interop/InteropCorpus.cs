using System.Globalization;
using System.Text;
using MailKit;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Interop;

/// <summary>One message of the corpus: its raw text, and the flags, keywords and INTERNALDATE it is appended with.</summary>
public sealed record CorpusMessage(byte[] Raw, MessageFlags Flags, IReadOnlyList<string> Keywords, DateTimeOffset InternalDate);

/// <summary>A corpus folder: its levels below the personal namespace, its special use, its messages.</summary>
/// <param name="Role">The folder's SPECIAL-USE role; the source server names it its own way (<see cref="InteropServer.NameFor"/>).</param>
public sealed record CorpusFolder(string Path, SpecialFolder? Role, IReadOnlyList<CorpusMessage> Messages);

/// <summary>
/// Issue 16's corpus, the same for every server: nested folders, a non-ASCII name, the five special folders, flags and
/// keywords (\Draft among them), a 20 MB message, a message without Message-ID, two different messages sharing one
/// Message-ID (same size, same INTERNALDATE: only their bytes tell them apart), and names some servers refuse
/// ("Ideas!" on Cyrus, "~Notes" on Dovecot): seeded where the source takes them.
/// </summary>
public static class InteropCorpus
{
    public const string BigMessageId = "big-20mb@interop.example";
    public const string SharedMessageId = "shared-id@interop.example";

    private static readonly Lazy<byte[]> Big = new(() => BigMessage(20 * 1024 * 1024));

    public static IReadOnlyList<CorpusFolder> Folders(string tag) =>
    [
        new("INBOX", null,
        [
            Text(tag, "inbox-1", "Plain, unread", MessageFlags.None, []),
            Text(tag, "inbox-2", "Seen and flagged, two keywords", MessageFlags.Seen | MessageFlags.Flagged, ["$Forwarded", "Project-X"]),
            Text(tag, "inbox-3", "Answered", MessageFlags.Seen | MessageFlags.Answered, ["$Label1"]),
            Text(tag, null, "No Message-ID at all", MessageFlags.Seen, []),
            Text(tag, SharedMessageId, "Twin A shares its Message-ID", MessageFlags.Seen, [], body: "The first of two different messages.\r\n"),
            Text(tag, SharedMessageId, "Twin B shares its Message-ID", MessageFlags.Seen, [], body: "The other of two different messages.\r\n"),
            new(Big.Value, MessageFlags.Seen, [], new DateTimeOffset(2025, 11, 3, 8, 15, 0, TimeSpan.FromHours(1))),
        ]),
        new("Projects", null, [Text(tag, "projects-1", "Kick-off", MessageFlags.Seen, []), Text(tag, "projects-2", "Budget", MessageFlags.None, ["Project-X"])]),
        new("Projects/2026", null, [Text(tag, "p2026-1", "Plan for 2026", MessageFlags.Seen, []), Text(tag, "p2026-2", "Q1 review", MessageFlags.Flagged, [])]),
        new("Rechnungen", null, [Text(tag, "rechnung-1", "Rechnung Nr. 1", MessageFlags.Seen, [])]),
        new("Rechnungen/Ärzte & Co", null, [Text(tag, "aerzte-1", "Praxis Dr. Müller – Rechnung", MessageFlags.Seen, []),
            Text(tag, "aerzte-2", "Zahnärztin Øster – Termin", MessageFlags.None, [])]),
        new("Sent", SpecialFolder.Sent, [Text(tag, "sent-1", "Re: Kick-off", MessageFlags.Seen, []), Text(tag, "sent-2", "Fwd: Budget", MessageFlags.Seen, ["$Forwarded"])]),
        new("Drafts", SpecialFolder.Drafts, [Text(tag, "draft-1", "Half-written", MessageFlags.Draft | MessageFlags.Seen, [])]),
        new("Trash", SpecialFolder.Trash, [Text(tag, "trash-1", "Old newsletter", MessageFlags.Seen, [])]),
        new("Junk", SpecialFolder.Junk, [Text(tag, "junk-1", "You have won", MessageFlags.None, ["$Junk"])]),
        new("Archive", SpecialFolder.Archive, [Text(tag, "archive-1", "2019 taxes", MessageFlags.Seen, [])]),
        new("Ideas!", null, [Text(tag, "ideas-1", "A name Cyrus refuses", MessageFlags.None, [])]),
        new("~Notes", null, [Text(tag, "notes-1", "A name Dovecot refuses", MessageFlags.None, [])]),
    ];

    private static int _day;

    private static CorpusMessage Text(string tag, string? id, string subject, MessageFlags flags, string[] keywords, string? body = null)
    {
        var day = Interlocked.Increment(ref _day) % 27 + 1;
        // The twins share date and size as well as the Message-ID: only their bytes tell them apart.
        var date = id == SharedMessageId ? new DateTimeOffset(2026, 2, 14, 10, 0, 0, TimeSpan.Zero) : new DateTimeOffset(2026, 3, day, 9, 30, 0, TimeSpan.FromHours(2));
        var text = new StringBuilder()
            .Append("From: Ada Lovelace <ada@interop.example>\r\n")
            .Append("To: Bob <bob@interop.example>\r\n")
            .Append("Subject: =?UTF-8?B?").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(subject))).Append("?=\r\n")
            .Append(CultureInfo.InvariantCulture, $"Date: {date.ToString("ddd, dd MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture)} +0000\r\n");
        if (id is not null) text.Append(CultureInfo.InvariantCulture, $"Message-ID: <{(id == SharedMessageId ? id : $"{id}.{tag}@interop.example")}>\r\n");
        text.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
            .Append(body ?? $"{subject} ({tag})\r\n");
        return new CorpusMessage(Encoding.UTF8.GetBytes(text.ToString()), flags, keywords, date);
    }

    /// <summary>A message of about <paramref name="size"/> bytes: an attachment of random (seeded) bytes in base64.</summary>
    private static byte[] BigMessage(int size)
    {
        var random = new Random(16);
        var payload = new byte[size / 4 * 3];
        random.NextBytes(payload);
        var base64 = Convert.ToBase64String(payload, Base64FormattingOptions.InsertLineBreaks);
        var text = new StringBuilder(size + 1024)
            .Append("From: Ada Lovelace <ada@interop.example>\r\nTo: Bob <bob@interop.example>\r\nSubject: The scans (20 MB)\r\n")
            .Append("Date: Mon, 03 Nov 2025 08:15:00 +0100\r\n")
            .Append(CultureInfo.InvariantCulture, $"Message-ID: <{BigMessageId}>\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")
            .Append("--b1\r\nContent-Type: text/plain\r\n\r\nThe scans are attached.\r\n")
            .Append("--b1\r\nContent-Type: application/octet-stream; name=\"scans.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
            .Append(base64).Append("\r\n--b1--\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static MimeMessage Parse(CorpusMessage message)
    {
        using var stream = new MemoryStream(message.Raw);
        return MimeMessage.Load(stream);
    }
}
