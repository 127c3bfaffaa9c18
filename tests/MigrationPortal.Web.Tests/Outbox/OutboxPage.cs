using System.Diagnostics;
using AngleSharp.Html.Dom;
using MigrationPortal.Fixtures.Smtp;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Outbox;

/// <summary>One row of the admin's Outbox table, as the page shows it.</summary>
public sealed record OutboxEntry(long Id, string To, string Subject, string State, int Attempts, string When, string LastError);

/// <summary>The /Admin/Outbox page: its rows and per-state counts, and waiting until the worker has got somewhere.</summary>
public static class OutboxPage
{
    public const string Path = "/Admin/Outbox";

    public static IReadOnlyList<OutboxEntry> Rows(IHtmlDocument page) =>
        page.QuerySelectorAll("#outbox-messages tbody tr").Select(row => new OutboxEntry(
            long.Parse(row.GetAttribute("data-outbox-id")!),
            Cell(row, "td.to"),
            Cell(row, "td.subject"),
            Cell(row, "td.state"),
            int.Parse(Cell(row, "td.attempts")),
            Cell(row, "td.when"),
            Cell(row, "td.last-error"))).ToList();

    public static int Count(IHtmlDocument page, string state) =>
        int.Parse(page.QuerySelector($"#outbox-{state.ToLowerInvariant()}")!.TextContent.Trim());

    /// <summary>Reloads the page until a row matches: the worker records an outcome a moment after the server saw it.</summary>
    public static async Task<OutboxEntry> WaitForRowAsync(HtmlClient client, Func<OutboxEntry, bool> predicate, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var rows = Rows(await client.GetAsync(Path));
            if (rows.FirstOrDefault(predicate) is { } match) return match;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"No matching outbox row within {limit.TotalSeconds:0.#} s; rows: "
                    + string.Join(" | ", rows.Select(r => $"#{r.Id} {r.To} {r.State} attempts={r.Attempts} '{r.LastError}'")));
            await Task.Delay(100);
        }
    }

    /// <summary>Reloads the page until the per-state count reaches <paramref name="expected"/>.</summary>
    public static async Task<IHtmlDocument> WaitForCountAsync(HtmlClient client, string state, int expected, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var page = await client.GetAsync(Path);
            if (Count(page, state) == expected) return page;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"The Outbox page counts {Count(page, state)} {state}, not {expected}, after {limit.TotalSeconds:0.#} s.");
            await Task.Delay(100);
        }
    }

    /// <summary>A portal that sends through <paramref name="sink"/> and retries quickly, so a failure and its recovery take seconds.</summary>
    public static Dictionary<string, string?> Settings(SmtpSink sink, int maxAttempts = 20) => new()
    {
        ["Smtp:Host"] = sink.Host,
        ["Smtp:Port"] = sink.Port.ToString(),
        ["Outbox:PollInterval"] = "00:00:00.200",
        ["Outbox:RetryBaseDelay"] = "00:00:00.200",
        ["Outbox:MaxRetryDelay"] = "00:00:01",
        ["Outbox:MaxAttempts"] = maxAttempts.ToString(),
    };

    private static string Cell(AngleSharp.Dom.IElement row, string selector) =>
        row.QuerySelector(selector)!.TextContent.Trim();
}
