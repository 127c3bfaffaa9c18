using System.Globalization;
using MigrationPortal.Core.Projects;
using MigrationPortal.Email.Templates;

namespace MigrationPortal.Email.Tests;

/// <summary>How a project's wording becomes the email its users read: values in, encoded in the HTML part, link a link.</summary>
public sealed class UserEmailTemplateTests
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");
    private static readonly CultureInfo German = CultureInfo.GetCultureInfo("de");

    private static UserEmailValues Values(string project = "Acme move") => new(
        "user@example.org", project, "user@source.example", "user@destination.example",
        new Uri("https://migrate.example.org/access/TOKEN_123"), new DateTimeOffset(2026, 12, 14, 10, 0, 0, TimeSpan.Zero),
        AsksSource: true, Messages: 12345, Bytes: 1_500_000);

    [Fact]
    public void Compose_ValuesWithMarkup_EncodedInHtml_VerbatimInText_LinkAnAnchor()
    {
        var template = new UserEmailTemplate("Move of {{project}}", "Dear {{user}},\n\n{{project}} moves {{source}}.\nOpen {{link}} before {{expiry}}.");

        var message = template.Compose(Values("<script>alert(1)</script> & \"Co\""), English);

        Assert.Equal("Move of <script>alert(1)</script> & \"Co\"", message.Subject);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot; moves user@source.example.", message.HtmlBody);
        Assert.DoesNotContain("<script>", message.HtmlBody);
        Assert.Contains("""<a href="https://migrate.example.org/access/TOKEN_123">https://migrate.example.org/access/TOKEN_123</a>""", message.HtmlBody);
        Assert.Contains("<script>alert(1)</script> & \"Co\" moves user@source.example.", message.TextBody);
        Assert.Contains("Open https://migrate.example.org/access/TOKEN_123 before Monday 14 December 2026, 10:00 UTC.", message.TextBody);
        Assert.Equal("user@example.org", message.To.Mailboxes.Single().Address);
    }

    [Fact]
    public void Compose_AdminsOwnMarkup_ShownAsText()
    {
        var template = new UserEmailTemplate("Hi", "<b>Bold</b> <a href=\"https://evil.example\">click</a> {{link}}");

        var html = template.Compose(Values(), English).HtmlBody!;

        Assert.Contains("&lt;b&gt;Bold&lt;/b&gt; &lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;", html);
        Assert.DoesNotContain("href=\"https://evil.example\"", html);
    }

    [Fact]
    public void Compose_ValueWithLineBreaks_SubjectStaysOneLine()
    {
        var message = new UserEmailTemplate("About {{project}}", "{{link}}").Compose(Values("Acme\r\nBcc: x@evil.example"), English);

        Assert.Equal("About AcmeBcc: x@evil.example", message.Subject);
        Assert.Empty(message.Bcc);
    }

    [Fact]
    public void Problems_UnknownPlaceholderAndRequestWithoutLink_NamedForTheAdmin()
    {
        var problems = UserEmailTemplate.Problems(UserEmailKind.Request, "Hello {{name}}", "Your {{messages}} messages");

        Assert.Contains(problems, p => p.StartsWith("{{name}} is not a placeholder of this email", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("{{messages}} is not a placeholder of this email", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("must contain {{link}}", StringComparison.Ordinal));
        Assert.Empty(UserEmailTemplate.Problems(UserEmailKind.Completed, "Copied", "{{messages}} messages, {{ size }}"));
    }

    [Theory]
    [InlineData(UserEmailKind.Request)]
    [InlineData(UserEmailKind.Completed)]
    [InlineData(UserEmailKind.Failed)]
    public void Defaults_BothLanguages_UseOnlyTheirPlaceholders(UserEmailKind kind)
    {
        foreach (var culture in new[] { English, German })
        {
            var template = UserEmailTemplate.Default(kind, culture);
            Assert.Empty(UserEmailTemplate.Problems(kind, template.Subject, template.Body));
            Assert.Contains("{{link}}", template.Body);
        }
    }

    [Fact]
    public void Defaults_German_RequestInGermanWithGermanDateAndTheEnglishSubjectKeptForEnglish()
    {
        var german = UserEmailTemplate.Default(UserEmailKind.Request, German).Compose(Values(), German, reminderLeft: TimeSpan.FromDays(4.5));
        var english = UserEmailTemplate.Default(UserEmailKind.Request, English).Compose(Values(), English);

        Assert.Equal("Erinnerung: AKTION ERFORDERLICH: Angaben für Ihre Migration benötigt", german.Subject);
        Assert.Contains("Der Link unten gilt noch 4 Tage.", german.TextBody);
        Assert.Contains("Montag, 14. Dezember 2026, 10:00 UTC", german.TextBody);
        Assert.Contains("für Ihr Quellpostfach", german.TextBody);
        Assert.Contains("lang=\"de\"", german.HtmlBody);
        Assert.Equal("ACTION REQUIRED: Information required for your migration", english.Subject);
        Assert.Contains("the source credentials", english.TextBody);
    }

    [Fact]
    public void Compose_CompletedInGerman_CountsInGermanNumbers()
    {
        var message = UserEmailTemplate.Default(UserEmailKind.Completed, German).Compose(Values(), German);

        Assert.Equal("Ihr Postfach wurde kopiert", message.Subject);
        Assert.Contains("12.345 Nachrichten (1,5 MB)", message.TextBody);
    }
}
