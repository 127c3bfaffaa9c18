using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Mailboxes;

/// <summary>Where a Migrating (or Stopping) mailbox's running pass stands: copied so far of what it found (null until it has looked).</summary>
public sealed record PassProgress(int MailboxId, MailboxStatus Status, int PassNumber, PassKind Kind,
    int? FoldersFound, int? MessagesFound, long? BytesFound, int MessagesCopied, long BytesCopied,
    DateTimeOffset? ThrottledUntil = null, string? Throttling = null)
{
    /// <summary>While the pass waits out a provider's throttling: until when, and the provider's words; else empty.</summary>
    public string ThrottledText(DateTimeOffset now) => ThrottledUntil is { } until && until > now
        ? $"Throttled by the provider: resuming at {until.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC ({Throttling})"
        : "";

    public string MessagesText => MessagesFound is { } found
        ? $"{MessagesCopied.ToString("N0", CultureInfo.InvariantCulture)} of {found.ToString("N0", CultureInfo.InvariantCulture)} messages"
        : $"{MessagesCopied.ToString("N0", CultureInfo.InvariantCulture)} messages, still counting";

    public string BytesText => BytesFound is { } found
        ? $"{StatisticsText.Bytes(BytesCopied)} of {StatisticsText.Bytes(found)}"
        : StatisticsText.Bytes(BytesCopied);
}

/// <summary>Everything a mailbox's passes did together.</summary>
public sealed record MailboxTotals(int Passes, int MessagesCopied, long BytesCopied, int MessagesSkipped, int MessagesFailedNow)
{
    public override string ToString() =>
        $"{MessagesCopied.ToString("N0", CultureInfo.InvariantCulture)} copied ({StatisticsText.Bytes(BytesCopied)}), "
        + $"{MessagesSkipped.ToString("N0", CultureInfo.InvariantCulture)} skipped, {MessagesFailedNow.ToString("N0", CultureInfo.InvariantCulture)} not copied; "
        + $"{Passes} {(Passes == 1 ? "pass" : "passes")}";
}

/// <summary>
/// The statistics queries of a project's dashboard, one query each for the mailboxes it shows. The ids go in as one
/// array parameter (<c>EF.Parameter</c>): EF then compiles each query once, where a parameter per id makes it build the
/// SQL again for every page.
/// </summary>
public static class MailboxStatistics
{
    public static Task<List<PassProgress>> ProgressAsync(PortalDbContext db, int projectId, IReadOnlyCollection<int> mailboxIds, CancellationToken ct)
    {
        var ids = mailboxIds.ToArray();
        return (from m in db.Mailboxes.AsNoTracking()
                where m.ProjectId == projectId && EF.Parameter(ids).Contains(m.Id) && (m.Status == MailboxStatus.Migrating || m.Status == MailboxStatus.Stopping)
                join p in db.MigrationPasses.AsNoTracking() on new { m.Id, Number = m.PassCount } equals new { Id = p.MailboxId, p.Number }
                orderby m.Id
                select new PassProgress(m.Id, m.Status, p.Number, p.Kind, p.FoldersFound, p.MessagesFound, p.BytesFound, p.ItemsCopied, p.BytesCopied,
                    p.ThrottledUntil, p.Throttling))
            .ToListAsync(ct);
    }

    /// <summary>Each mailbox's latest pass (running or ended), for those that have had one.</summary>
    public static Task<Dictionary<int, MigrationPass>> LastPassesAsync(PortalDbContext db, IReadOnlyCollection<int> mailboxIds, CancellationToken ct)
    {
        var ids = mailboxIds.ToArray();
        return db.MigrationPasses.AsNoTracking()
            .Where(p => EF.Parameter(ids).Contains(p.MailboxId) && db.Mailboxes.Any(m => m.Id == p.MailboxId && m.PassCount == p.Number))
            .ToDictionaryAsync(p => p.MailboxId, ct);
    }

    public static async Task<Dictionary<int, MailboxTotals>> TotalsAsync(PortalDbContext db, IReadOnlyCollection<int> mailboxIds, CancellationToken ct)
    {
        var inProject = mailboxIds.ToArray();
        var failed = await db.FailedMessages.AsNoTracking().Where(f => EF.Parameter(inProject).Contains(f.MailboxId))
            .GroupBy(f => f.MailboxId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var passes = await db.MigrationPasses.AsNoTracking().Where(p => EF.Parameter(inProject).Contains(p.MailboxId))
            .GroupBy(p => p.MailboxId)
            .Select(g => new { g.Key, Count = g.Count(), Copied = g.Sum(p => p.ItemsCopied), Bytes = g.Sum(p => p.BytesCopied), Skipped = g.Sum(p => p.MessagesSkipped) })
            .ToListAsync(ct);
        return passes.ToDictionary(p => p.Key, p => new MailboxTotals(p.Count, p.Copied, p.Bytes, p.Skipped, failed.GetValueOrDefault(p.Key)));
    }
}

/// <summary>How counts, sizes, durations and rates read on the admin pages.</summary>
public static class StatisticsText
{
    private static readonly string[] Units = ["bytes", "KB", "MB", "GB", "TB"];

    public static string Bytes(long bytes)
    {
        if (bytes < 1024) return $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes";
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return $"{value.ToString(value < 10 ? "0.0" : "0", CultureInfo.InvariantCulture)} {Units[unit]}";
    }

    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => "—",
        { TotalSeconds: < 60 } d => $"{d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s",
        { TotalHours: < 1 } d => $"{(int)d.TotalMinutes} min {d.Seconds:00} s",
        var d => $"{(int)d.Value.TotalHours} h {d.Value.Minutes:00} min",
    };

    public static string Throughput(MigrationPass pass) =>
        pass.MessagesPerSecond is { } messages && pass.BytesPerSecond is { } bytes
            ? $"{messages.ToString("0.0", CultureInfo.InvariantCulture)} messages/s, {Bytes((long)bytes)}/s"
            : "—";

    public static string License(Core.Licenses.MailboxLicenseState state, int passesOnLicense, int licensesConsumed) => state switch
    {
        Core.Licenses.MailboxLicenseState.Held => "Held",
        Core.Licenses.MailboxLicenseState.Consumed => $"Consumed ({passesOnLicense} passes)",
        _ => licensesConsumed > 0 ? $"{licensesConsumed} used" : "None",
    };

    public static string Kind(MigrationPass pass) =>
        pass.PreStageBefore is { } before ? $"{pass.Kind.ToDisplay()} (before {before:yyyy-MM-dd})" : pass.Kind.ToDisplay();

    /// <summary>What a pass has to say besides its counts, in words; empty when there is nothing to say.</summary>
    public static string Notes(MigrationPass pass)
    {
        var notes = new List<string>();
        if (pass.FoldersUnchanged > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{pass.FoldersUnchanged} {Plural(pass.FoldersUnchanged, "folder")} unchanged since the last pass (not opened)"));
        if (pass.FlagsUpdated > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"flags updated on {pass.FlagsUpdated} {Plural(pass.FlagsUpdated, "message")}"));
        if (pass.SizeMismatches > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{pass.SizeMismatches} {Plural(pass.SizeMismatches, "message")} stored changed by the destination (another size, or other bytes)"));
        if (pass.NotKept is { } lost)
            notes.Add($"not kept by the destination: {lost}");
        return string.Join("; ", notes);
    }

    /// <summary>
    /// What the pass did differently because of the servers, one item each: the folders it created under another name
    /// ("Renamed: Ideas! → Ideas_ (…)"), then the extensions a server lacked with what it did instead. The engine's
    /// sentences, as it wrote them; empty when there was none.
    /// </summary>
    public static IReadOnlyList<string> ServerNotes(MigrationPass pass) =>
    [
        .. Lines(pass.FoldersRenamed).Select(rename => "Renamed: " + rename),
        .. Lines(pass.ServerFallbacks),
    ];

    private static string[] Lines(string? text) =>
        text is null ? [] : text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Plural(int n, string word) => n == 1 ? word : word + "s";
}
