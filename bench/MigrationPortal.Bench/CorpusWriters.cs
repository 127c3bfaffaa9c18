using System.Globalization;
using System.Text;
using MailKit;
using MimeKit;

namespace MigrationPortal.Bench;

/// <summary>
/// Writes the corpus straight into a Dovecot Maildir++ tree (folder "A/B" is the directory ".A.B", names in modified
/// UTF-7): flags in the file name, keywords through dovecot-keywords, INTERNALDATE as the file's mtime (Dovecot's maildir
/// rule), S= and W= so Dovecot need not stat. Much faster than APPEND; Dovecot assigns UIDs when it first looks.
/// </summary>
public static class MaildirWriter
{
    public static (int Messages, long Bytes) Write(string maildir, Corpus corpus, int count)
    {
        var folders = Corpus.Assign(count);
        foreach (var (path, _, _) in Corpus.FolderPlan)
        {
            var dir = FolderDirectory(maildir, path);
            foreach (var sub in new[] { "cur", "new", "tmp" })
                Directory.CreateDirectory(Path.Combine(dir, sub));
            if (path != "INBOX")
                File.WriteAllText(Path.Combine(dir, "maildirfolder"), "");
            File.WriteAllText(Path.Combine(dir, "dovecot-keywords"),
                string.Concat(Corpus.KeywordNames.Select((k, i) => string.Create(CultureInfo.InvariantCulture, $"{i} {k}\n"))));
        }
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            var m = corpus.Generate(i, folders[i]);
            var crlfSize = m.Bytes.Length + m.Bytes.Count(b => b == (byte)'\n');
            var name = string.Create(CultureInfo.InvariantCulture,
                $"{m.InternalDate.ToUnixTimeSeconds()}.M{i}P1Q{i}.corpus,S={m.Bytes.Length},W={crlfSize}:2,{FlagLetters(m)}");
            var file = Path.Combine(FolderDirectory(maildir, m.Folder), "cur", name);
            File.WriteAllBytes(file, m.Bytes);
            File.SetLastWriteTimeUtc(file, m.InternalDate.UtcDateTime);
            bytes += crlfSize;
        }
        return (count, bytes);
    }

    private static string FlagLetters(GeneratedMessage m)
    {
        var letters = new List<char>();
        if (m.Flags.HasFlag(MessageFlags.Draft)) letters.Add('D');
        if (m.Flags.HasFlag(MessageFlags.Flagged)) letters.Add('F');
        if (m.Flags.HasFlag(MessageFlags.Answered)) letters.Add('R');
        if (m.Flags.HasFlag(MessageFlags.Seen)) letters.Add('S');
        letters.AddRange(m.Keywords.Select(k => (char)('a' + Array.IndexOf(Corpus.KeywordNames, k))));
        letters.Sort();
        return new string([.. letters]);
    }

    private static string FolderDirectory(string maildir, string path) =>
        path == "INBOX" ? maildir : Path.Combine(maildir, "." + string.Join('.', path.Split('/').Select(ModifiedUtf7)));

    /// <summary>RFC 3501 modified UTF-7, as Dovecot names maildir folders on disk.</summary>
    public static string ModifiedUtf7(string name)
    {
        var result = new StringBuilder();
        var pending = new StringBuilder();
        void Flush()
        {
            if (pending.Length == 0) return;
            var b64 = Convert.ToBase64String(Encoding.BigEndianUnicode.GetBytes(pending.ToString())).TrimEnd('=').Replace('/', ',');
            result.Append('&').Append(b64).Append('-');
            pending.Clear();
        }
        foreach (var c in name)
        {
            if (c is >= ' ' and <= '~')
            {
                Flush();
                result.Append(c == '&' ? "&-" : c.ToString());
            }
            else
            {
                pending.Append(c);
            }
        }
        Flush();
        return result.ToString();
    }
}

/// <summary>
/// Adds generated messages to a running server by APPEND: the "new mail" of a delta run, or a whole corpus on a server
/// whose storage the bench does not write itself (bench/interop.sh's Cyrus and Courier). A folder's messages go out in
/// MULTIAPPENDs of up to 100 (one APPEND each where the server lacks MULTIAPPEND, as MailKit does it).
/// </summary>
public static class ImapAppender
{
    public static async Task<int> AppendAsync(Account account, Corpus corpus, int first, int count)
    {
        using var client = await account.ConnectAsync();
        var folders = Corpus.Assign(first + count);
        var batch = new List<IAppendRequest>();
        IMailFolder? target = null;
        string? targetPath = null;
        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            await target!.AppendAsync(batch);
            batch.Clear();
        }
        for (var i = first; i < first + count; i++)
        {
            var m = corpus.Generate(i, folders[i]);
            if (m.Folder != targetPath || batch.Count >= 100)
            {
                await FlushAsync();
                if (m.Folder != targetPath)
                    (target, targetPath) = (await Folders.GetOrCreateAsync(client, m.Folder), m.Folder);
            }
            using var stream = new MemoryStream(m.Bytes);
            var message = await MimeMessage.LoadAsync(stream);
            batch.Add(new AppendRequest(message, m.Flags)
            {
                InternalDate = m.InternalDate,
                Keywords = m.Keywords.Count == 0 ? null : new HashSet<string>(m.Keywords),
            });
        }
        await FlushAsync();
        await client.DisconnectAsync(quit: true);
        return count;
    }
}
