using System.ComponentModel.DataAnnotations;

namespace MigrationPortal.Web.Worker;

/// <summary>The <c>Migration</c> section: the worker that copies Submitted mailboxes.</summary>
public sealed class MigrationOptions
{
    public const string Section = "Migration";

    /// <summary>Whether this process migrates at all (an instance that only serves pages can say false).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Mailboxes this process copies at once, over all projects (each project's own cap applies too).</summary>
    [Range(1, 256)]
    public int MaxParallel { get; set; } = 4;

    /// <summary>How long a claim holds without a heartbeat; a worker that died is replaced after it.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a running pass renews its claim and looks for a Stop. Stop tells the passes at once
    /// (<see cref="PassStopSignal"/>); this is the bound when that word was lost (a dropped listener connection).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Messages the destination may refuse in one pass before the pass counts as failed (each is listed on the item page).</summary>
    [Range(0, 1_000_000)]
    public int MaxMessageErrors { get; set; } = 100;

    /// <summary>
    /// Times a pass is tried again after a transient fault (a dropped connection, a server restarting or busy) before
    /// it fails; each retry resumes from the checkpoints, so nothing is copied twice.
    /// </summary>
    [Range(0, 20)]
    public int Retries { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles (with jitter) for each next one, up to a minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Megabytes of message bodies all running passes of this process may hold at once between fetching and appending
    /// (see <see cref="Engine.Passes.BufferBudget"/>). The portal's memory for mail in flight: a gcdump of 20 mailboxes
    /// migrating at once showed these buffers as most of the live heap, so the default is what keeps that case under 300 MB.
    /// Measured with bench/imap.sh's 20-at-once portal run (2 cores): 32 MB peaked at 303-312 MB, 16 MB at 272-278 MB,
    /// at the same wall time (52-61 s either way): one mailbox's two lanes need under 10 MB of 30 KB mails in flight.
    /// </summary>
    [Range(8, 4096)]
    public int BufferMegabytes { get; set; } = 16;

    /// <summary>Folders of one mailbox copied at once, each over its own three connections to the servers (source, destination, APPEND).</summary>
    [Range(1, 8)]
    public int FoldersAtOnce { get; set; } = Engine.Passes.MailboxMigration.DefaultFoldersAtOnce;

    /// <summary>How often the worker looks for Submitted mailboxes when nothing wakes it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Wakes the migration worker when a mailbox is submitted (Start, or the user's credentials accepted) or a slot is freed:
/// in this process by the code that did it, and on PostgreSQL also by <see cref="MigrationWakeListener"/> when another
/// instance did.
/// </summary>
public sealed class MigrationSignal : WakeSignal;
