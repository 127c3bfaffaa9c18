using System.Globalization;
using System.Net;
using System.Resources;
using System.Text;
using System.Text.RegularExpressions;
using MigrationPortal.Core.Projects;
using MimeKit;

namespace MigrationPortal.Email.Templates;

/// <summary>The values a user email's placeholders stand for; what a kind of email does not know is null.</summary>
/// <param name="User">The address the email goes to.</param>
/// <param name="Asked">Which credentials the request asks for (source, destination or both).</param>
public sealed record UserEmailValues(
    string User,
    string Project,
    string Source,
    string Destination,
    Uri? Link,
    DateTimeOffset? Expiry = null,
    bool AsksSource = false,
    bool AsksDestination = false,
    int? Messages = null,
    long? Bytes = null);

/// <summary>
/// One user email's wording: a subject and a plain-text body with <c>{{placeholders}}</c>. The text part is the body
/// with the values put in; the HTML part is made from it here, paragraph by paragraph, with every piece of text and
/// every value HTML-encoded and the link made a link. A project's own wording is never HTML, so nothing an admin or a
/// value holds can add markup to what the user sees. The defaults are .NET resources per language
/// (<c>UserEmailDefaults.resx</c>, <c>UserEmailDefaults.de.resx</c>).
/// </summary>
public sealed partial record UserEmailTemplate(string Subject, string Body)
{
    private static readonly ResourceManager Defaults = new("MigrationPortal.Email.Templates.UserEmailDefaults", typeof(UserEmailTemplate).Assembly);

    /// <summary>Which placeholders each kind of email has, in the order the editor lists them.</summary>
    public static IReadOnlyList<string> PlaceholdersOf(UserEmailKind kind) => kind switch
    {
        UserEmailKind.Request => ["user", "project", "source", "destination", "asked", "link", "expiry"],
        UserEmailKind.Completed => ["user", "project", "source", "destination", "messages", "size", "link"],
        _ => ["user", "project", "source", "destination", "link"],
    };

    public static UserEmailTemplate Default(UserEmailKind kind, CultureInfo culture) => new(
        Text($"{kind}Subject", culture),
        Text($"{kind}Body", culture));

    /// <summary>What is wrong with a wording for <paramref name="kind"/>, in words for the admin; empty when nothing is.</summary>
    public static IReadOnlyList<string> Problems(UserEmailKind kind, string subject, string body)
    {
        var problems = new List<string>();
        var known = PlaceholdersOf(kind);
        foreach (var name in Placeholder().Matches(subject + "\n" + body).Select(m => m.Groups[1].Value).Distinct())
        {
            if (!known.Contains(name))
                problems.Add($"{{{{{name}}}}} is not a placeholder of this email; it has {string.Join(", ", known.Select(k => "{{" + k + "}}"))}.");
        }
        if (kind == UserEmailKind.Request && !Placeholder().Matches(body).Any(m => m.Groups[1].Value == "link"))
            problems.Add("The request's text must contain {{link}}: without it the user cannot answer.");
        return problems;
    }

    /// <param name="reminderLeft">For a reminder: how long the link still works; the subject and the first lines say so.</param>
    public MimeMessage Compose(UserEmailValues values, CultureInfo culture, TimeSpan? reminderLeft = null)
    {
        var filled = Values(values, culture);
        var subject = Placeholder().Replace(Subject, m => OneLine(filled.GetValueOrDefault(m.Groups[1].Value, "")));
        var paragraphs = Paragraphs(Body);
        if (reminderLeft is { } left)
        {
            subject = Text("ReminderSubjectPrefix", culture) + subject;
            var line = string.Format(culture, Text("ReminderLine", culture), TimeLeft(left, culture));
            paragraphs.Insert(Math.Min(1, paragraphs.Count), line);
        }

        var text = string.Join("\n\n", paragraphs.Select(p => Placeholder().Replace(p, m => filled.GetValueOrDefault(m.Groups[1].Value, ""))));
        var html = new StringBuilder($"""<!DOCTYPE html><html lang="{culture.TwoLetterISOLanguageName}"><body style="font-family: system-ui, sans-serif; line-height: 1.5">""");
        foreach (var paragraph in paragraphs)
        {
            html.Append("<p>");
            html.Append(string.Join("<br>", paragraph.Split('\n').Select(line => Html(line, filled, values.Link))));
            html.Append("</p>\n");
        }
        html.Append("</body></html>");

        var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse(values.User));
        message.Subject = subject;
        message.Body = new BodyBuilder { TextBody = text + "\n", HtmlBody = html.ToString() }.ToMessageBody();
        return message;
    }

    /// <summary>Whole days, or hours when less than two days are left: what a reader takes in at a glance.</summary>
    public static string TimeLeft(TimeSpan left, CultureInfo culture) => left switch
    {
        { TotalDays: >= 2 } => string.Format(culture, Text("LeftDays", culture), (int)left.TotalDays),
        { TotalHours: >= 2 } => string.Format(culture, Text("LeftHours", culture), (int)left.TotalHours),
        _ => Text("LeftSoon", culture),
    };

    /// <summary>Bytes as a mail client shows sizes (1000-based), with the culture's decimal sign.</summary>
    public static string Size(long bytes, CultureInfo culture) => bytes switch
    {
        >= 1_000_000_000 => string.Format(culture, "{0:0.#} GB", bytes / 1e9),
        >= 1_000_000 => string.Format(culture, "{0:0.#} MB", bytes / 1e6),
        >= 1_000 => string.Format(culture, "{0:0.#} KB", bytes / 1e3),
        _ => string.Format(culture, "{0} bytes", bytes),
    };

    private static Dictionary<string, string> Values(UserEmailValues v, CultureInfo culture)
    {
        var asked = (v.AsksSource, v.AsksDestination) switch
        {
            (true, true) => Text("AskedBoth", culture),
            (true, false) => Text("AskedSource", culture),
            _ => Text("AskedDestination", culture),
        };
        return new Dictionary<string, string>
        {
            ["user"] = v.User,
            ["project"] = v.Project,
            ["source"] = v.Source,
            ["destination"] = v.Destination,
            ["asked"] = asked,
            ["link"] = v.Link?.AbsoluteUri ?? "",
            ["expiry"] = v.Expiry is { } e ? e.UtcDateTime.ToString(Text("DateFormat", culture), culture) : "",
            ["messages"] = v.Messages is { } n ? n.ToString("N0", culture) : "",
            ["size"] = v.Bytes is { } b ? Size(b, culture) : "",
        };
    }

    /// <summary>One line of the body as HTML: text and values encoded, the link placeholder an anchor.</summary>
    private static string Html(string line, Dictionary<string, string> filled, Uri? link)
    {
        var html = new StringBuilder();
        var at = 0;
        foreach (Match m in Placeholder().Matches(line))
        {
            html.Append(WebUtility.HtmlEncode(line[at..m.Index]));
            var name = m.Groups[1].Value;
            if (name == "link" && link is not null)
            {
                var url = WebUtility.HtmlEncode(link.AbsoluteUri);
                html.Append($"""<a href="{url}">{url}</a>""");
            }
            else
            {
                html.Append(WebUtility.HtmlEncode(filled.GetValueOrDefault(name, "")));
            }
            at = m.Index + m.Length;
        }
        html.Append(WebUtility.HtmlEncode(line[at..]));
        return html.ToString();
    }

    private static List<string> Paragraphs(string body) =>
        [.. ParagraphBreak().Split(body.ReplaceLineEndings("\n").Trim()).Select(p => p.Trim('\n')).Where(p => p.Length > 0)];

    private static string OneLine(string value) => string.Concat(value.Where(c => !char.IsControl(c)));

    private static string Text(string name, CultureInfo culture) =>
        Defaults.GetString(name, culture) ?? throw new InvalidOperationException($"The default email text {name} is missing.");

    [GeneratedRegex(@"\{\{\s*([^{}\r\n]*?)\s*\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex ParagraphBreak();
}
