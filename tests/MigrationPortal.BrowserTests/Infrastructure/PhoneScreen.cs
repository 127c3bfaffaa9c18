using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace MigrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// A phone's browser (375 × 667, touch) and what a user's page must be on it: no sideways scrolling, inputs that do not
/// make iOS zoom, buttons (and links shown as buttons) a thumb can press, at the bottom of their form, and no WCAG 2.1
/// AA violation axe-core finds.
/// </summary>
public static class PhoneScreen
{
    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    public static BrowserNewContextOptions Options(string baseUrl) => new()
    {
        BaseURL = baseUrl,
        ViewportSize = new ViewportSize { Width = 375, Height = 667 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
    };

    /// <summary>The screen's layout on the phone, then axe-core over the whole page.</summary>
    public static async Task AssertFitsAsync(IPage page, string screen)
    {
        // As JSON: Playwright's own conversion takes an empty array of objects for one of strings.
        var json = await page.EvaluateAsync<string>("""
            () => {
              const root = document.documentElement;
              const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
              const smallInputs = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => parseFloat(getComputedStyle(e).fontSize) < 16)
                .map(e => (e.name || e.id) + ' ' + getComputedStyle(e).fontSize);
              const buttons = [...document.querySelectorAll('main button, main a.button')].map(b => {
                const r = b.getBoundingClientRect();
                const shown = [...(b.form?.elements ?? [])].filter(e => e.type !== 'hidden');
                return { text: b.textContent.trim(), left: r.left, right: r.right, height: r.height, last: !b.form || b === shown[shown.length - 1] };
              });
              return JSON.stringify({ scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide, smallInputs, buttons });
            }
            """);
        var layout = JsonSerializer.Deserialize<PhoneLayout>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(layout.ScrollWidth <= layout.ClientWidth,
            $"{screen}: the page scrolls sideways ({layout.ScrollWidth} px wide on a {layout.ClientWidth} px screen); too wide: {string.Join(", ", layout.Wide)}");
        Assert.True(layout.Wide.Length == 0, $"{screen}: wider than the screen: {string.Join(", ", layout.Wide)}");
        Assert.True(layout.SmallInputs.Length == 0, $"{screen}: inputs under 16 px make iOS zoom in: {string.Join(", ", layout.SmallInputs)}");
        foreach (var button in layout.Buttons)
        {
            Assert.True(button.Height >= 44 || button.Right - button.Left >= layout.ClientWidth * 0.8,
                $"{screen}: the button '{button.Text}' is {button.Right - button.Left:0} × {button.Height:0} px: neither full-width nor 44 px high");
            Assert.True(button.Left >= 0 && button.Right <= layout.ClientWidth, $"{screen}: the button '{button.Text}' is partly off the screen");
            Assert.True(button.Last, $"{screen}: the button '{button.Text}' is not at the bottom of its form");
        }

        await AssertAccessibleAsync(page, screen);
    }

    public static async Task AssertAccessibleAsync(IPage page, string screen)
    {
        var axe = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagTags] } });
        Assert.True(axe.Violations.Length == 0, $"{screen}: axe-core found WCAG 2.1 AA violations:\n{Describe(axe.Violations)}");
    }

    private static string Describe(IEnumerable<AxeResultItem> violations)
    {
        var text = new StringBuilder();
        foreach (var violation in violations)
        {
            text.AppendLine($"- {violation.Id} ({violation.Impact}): {violation.Help} {violation.HelpUrl}");
            foreach (var node in violation.Nodes)
            {
                var why = (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []).Select(c => c.Message);
                text.AppendLine($"    {string.Join(" ", node.Target?.ToString())} {Regex.Replace(node.Html ?? "", @"\s+", " ")}: {string.Join("; ", why)}");
            }
        }
        return text.ToString();
    }

    private sealed class PhoneButton
    {
        public string Text { get; set; } = "";
        public double Left { get; set; }
        public double Right { get; set; }
        public double Height { get; set; }
        public bool Last { get; set; }
    }

    private sealed class PhoneLayout
    {
        public double ScrollWidth { get; set; }
        public double ClientWidth { get; set; }
        public string[] Wide { get; set; } = [];
        public string[] SmallInputs { get; set; } = [];
        public PhoneButton[] Buttons { get; set; } = [];
    }
}
