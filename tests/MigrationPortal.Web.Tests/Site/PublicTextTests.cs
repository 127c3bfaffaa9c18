using System.Text.RegularExpressions;
using System.Xml.Linq;
using MigrationPortal.Web.Localization;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Site;

/// <summary>
/// The public pages' translations (Resources/PublicText.{code}.resx) against the English keys the pages use: a sentence
/// added to a page without its translation, or a translation that drops a placeholder, fails here rather than showing
/// English on a German page or losing the date.
/// </summary>
public sealed partial class PublicTextTests
{
    private static readonly string WebProject = Path.Combine(PortalFactory.RepositoryRoot, "src", "MigrationPortal.Web");

    public static TheoryData<string> Translations() => new(PublicCultures.Supported.Skip(1));

    [Theory]
    [MemberData(nameof(Translations))]
    public void Translation_EveryLiteralKeyThePublicPagesUse_IsTranslated(string culture)
    {
        var translated = Read(culture);
        var used = Directory.EnumerateFiles(Path.Combine(WebProject, "Pages"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cshtml", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => LocalizerKey().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: Regex.Unescape(m.Groups["key"].Value))))
            .ToList();

        Assert.NotEmpty(used);
        var missing = used.Where(u => !translated.ContainsKey(u.Key)).Select(u => $"{u.File}: {u.Key}").Distinct().ToList();
        Assert.True(missing.Count == 0, $"Not in PublicText.{culture}.resx:\n{string.Join("\n", missing)}");
    }

    [Theory]
    [MemberData(nameof(Translations))]
    public void Translation_EveryValue_KeepsItsKeysPlaceholders(string culture)
    {
        var wrong = Read(culture)
            .Where(t => string.IsNullOrWhiteSpace(t.Value) || !Placeholders(t.Key).SetEquals(Placeholders(t.Value)))
            .Select(t => $"{t.Key} → {t.Value}")
            .ToList();

        Assert.True(wrong.Count == 0, $"PublicText.{culture}.resx:\n{string.Join("\n", wrong)}");
    }

    private static Dictionary<string, string> Read(string culture) =>
        XDocument.Load(Path.Combine(WebProject, "Resources", $"PublicText.{culture}.resx")).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? "");

    private static HashSet<string> Placeholders(string text) => [.. Placeholder().Matches(text).Select(m => m.Value)];

    /// <summary><c>L["…"</c> in a view, <c>text["…"</c> in a page model: the localizers' names in this project.</summary>
    [GeneratedRegex(@"\b(?:L|text)\[""(?<key>(?:[^""\\]|\\.)+)""")]
    private static partial Regex LocalizerKey();

    [GeneratedRegex(@"\{\d+(?::[^}]*)?\}")]
    private static partial Regex Placeholder();
}
