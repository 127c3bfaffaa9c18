using System.Globalization;
using System.Text.RegularExpressions;
using MailKit.Net.Imap;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Engine.Passes;

/// <summary>What a provider's limit answer asks of the pass.</summary>
public enum ProviderLimitKind
{
    /// <summary>Wait as long as the server suggests, then go on (Microsoft's "Request is throttled").</summary>
    Throttled,

    /// <summary>
    /// The account's daily transfer allowance is used up (Gmail's bandwidth limits): waiting minutes does not help and
    /// retrying only prolongs the lock, so the pass ends with what it copied and the next pass resumes.
    /// </summary>
    DailyTransferCap,
}

/// <param name="Backoff">How long to wait before the next attempt (zero for a daily cap: the pass ends instead).</param>
/// <param name="ServerWords">The server's own text, for the admin: it names the provider's limit better than we could.</param>
public sealed record ProviderLimit(ProviderLimitKind Kind, TimeSpan Backoff, string ServerWords);

/// <summary>
/// The limits big providers put on an IMAP mailbox, and how to recognise their answers when a pass runs into one.
/// <para>
/// Microsoft 365 (Exchange Online) answers a throttled command with a tagged NO, sometimes BAD, or an untagged BYE
/// before closing, whose text reads <c>Request is throttled. Suggested Backoff Time: 299961 milliseconds</c> (the
/// number varies: 89117, 178755, 299609 ms in reports). Seen in imapsync's FAQ.Office365 and issues #198, #212, #272
/// ("1069 NO Request is throttled. Suggested Backoff Time: 299609 milliseconds" on APPEND; "BAD Request is throttled
/// ..." then "* BYE Connection closed. 14"), imap_tools #135 (NO on FETCH), email-oauth2-proxy #191. On MailKit's
/// connections a tagged BAD followed at once by a BYE without the words reaches us only as the BYE's text,
/// "Connection closed. 14" (MailKit #849): each connection's <see cref="Imap.ThrottleWatcher"/> keeps the BAD's line,
/// and the pass reads the drop as the throttling it was; the APPEND writer reads its own answers and keeps the words.
/// </para>
/// <para>
/// Gmail answers an account over its bandwidth limits with <c>[OVERQUOTA] Account exceeded command or bandwidth
/// limits.</c> (ha-email-sensor #16, mailcow #1554, on FETCH; the Workspace admin console calls it "Account has
/// exceeded the Gmail bandwidth limit for downloads via IMAP", chatwoot #6082). OVERQUOTA alone is not enough: RFC 5530
/// gives it to a full mailbox too (Dovecot refuses an APPEND into a full quota with it), which is a refused message,
/// not a provider's cap, so the phrase about bandwidth or command limits is what is matched.
/// </para>
/// </summary>
public static partial class ProviderLimits
{
    /// <summary>
    /// Concurrent IMAP connections Exchange Online allows one mailbox ("Maximum concurrent IMAP connections: 20",
    /// Exchange Online limits, client access; the Exchange Online throttling and limits FAQ). A pass over N lanes uses
    /// 3 × N connections, 2 × N of them on the destination.
    /// </summary>
    public const int Microsoft365MaxConnections = 20;

    /// <summary>Concurrent IMAP connections Gmail allows one account (Gmail Help, "Too many simultaneous connections": 15; 10 until about 2013).</summary>
    public const int GmailMaxConnections = 15;

    /// <summary>
    /// Gmail's documented daily IMAP transfer limits for an account (Google Workspace Admin Help, "Gmail bandwidth
    /// limits", support.google.com/a/answer/1071518: download via IMAP 2,500 MB, upload via IMAP 500 MB per day; they
    /// "may change without notice"). Reaching one suspends IMAP for the account for up to a day.
    /// </summary>
    public const long GmailDailyImapDownloadBytes = 2500L * 1024 * 1024;

    /// <inheritdoc cref="GmailDailyImapDownloadBytes"/>
    public const long GmailDailyImapUploadBytes = 500L * 1024 * 1024;

    /// <summary>The longest wait a server's suggestion is taken for: a larger number is a server's mistake or a lockout better reported than slept through.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The wait when Microsoft says it is throttling without a number (a bare BYE): about what it suggests most often
    /// (299961, 299609 ms in the reports above; DavMail's pull request #194 saw 300 s every time).
    /// </summary>
    public static readonly TimeSpan DefaultBackoff = TimeSpan.FromMinutes(5);

    /// <summary>The shortest wait: a suggestion of 0 ms would otherwise become a tight loop against a throttling server.</summary>
    public static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The provider's limit behind this failure, looking through the exceptions it wraps; null when it is not one.</summary>
    public static ProviderLimit? Recognise(Exception? fault)
    {
        for (var e = fault; e is not null; e = e.InnerException)
        {
            var text = e switch
            {
                ImapCommandException command => command.ResponseText,
                AppendWriterException writer => writer.ServerText ?? writer.Message,
                MigrationSideException side => side.Detail,
                _ => e.Message,
            };
            if (Recognise(text) is { } limit) return limit;
        }
        return null;
    }

    /// <summary>The provider's limit a server's response text announces; null when it announces none.</summary>
    public static ProviderLimit? Recognise(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var throttled = Throttled().Match(text);
        if (throttled.Success)
        {
            var backoff = DefaultBackoff;
            if (throttled.Groups[1].Success
                && double.TryParse(throttled.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
                backoff = ms >= MaxBackoff.TotalMilliseconds ? MaxBackoff : TimeSpan.FromMilliseconds(ms);
            if (backoff < MinBackoff) backoff = MinBackoff;
            return new ProviderLimit(ProviderLimitKind.Throttled, backoff, text[throttled.Index..].Trim());
        }
        if (BandwidthCap().Match(text) is { Success: true } cap)
            return new ProviderLimit(ProviderLimitKind.DailyTransferCap, TimeSpan.Zero, text[cap.Index..].Trim());
        return null;
    }

    /// <summary>What the admin reads when a daily cap ended a pass: it is the provider's limit, not a fault of ours or theirs.</summary>
    public static string DescribeCap(string serverWords) =>
        $"The provider's daily IMAP transfer limit was reached (Gmail allows about 2,500 MB of downloads and 500 MB of uploads a day); what was copied is kept and the next pass resumes. The server said: {serverWords}";

    // The number is optional: a BYE has been seen to carry the sentence without it.
    [GeneratedRegex(@"Request is throttled\.?(?:\s*Suggested Backoff Time:\s*(\d{1,12})\s*milliseconds)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Throttled();

    [GeneratedRegex(@"(?:\[OVERQUOTA\]\s*)?(?:\[ALERT\]\s*)?(?:Account exceeded command or bandwidth limits|Bandwidth limits? exceeded|exceeded the Gmail bandwidth limit)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BandwidthCap();
}
