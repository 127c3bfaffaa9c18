namespace MigrationPortal.Data.Audit;

/// <summary>
/// One thing someone did that an admin may have to account for later: who (an admin's account, a mailbox's user, the
/// portal itself), when, from which address, what, and to what. Never a secret: the details are counts, names and
/// outcomes, written by the portal, not copied from what was typed.
/// </summary>
public sealed class AuditEntry
{
    public const int MaxActorLength = 256;
    public const int MaxAddressLength = 64;
    public const int MaxActionLength = 64;
    public const int MaxTargetLength = 300;
    public const int MaxDetailLength = 1000;

    private AuditEntry() { Actor = ""; Action = ""; }

    public AuditEntry(DateTimeOffset at, string actor, string? address, string action, string? target, string? detail)
    {
        At = at;
        Actor = Cut(actor, MaxActorLength)!;
        Address = Cut(address, MaxAddressLength);
        Action = Cut(action, MaxActionLength)!;
        Target = Cut(target, MaxTargetLength);
        Detail = Cut(detail, MaxDetailLength);
    }

    public long Id { get; private set; }
    public DateTimeOffset At { get; private set; }
    public string Actor { get; private set; }
    public string? Address { get; private set; }
    public string Action { get; private set; }
    public string? Target { get; private set; }
    public string? Detail { get; private set; }

    /// <summary>
    /// Shortened to <paramref name="max"/>, control characters (a NUL, a line break) shown as U+FFFD: what was typed at
    /// the sign-in is kept as closely as it can be, but PostgreSQL stores no NUL and a log line holds no line break.
    /// </summary>
    private static string? Cut(string? value, int max)
    {
        if (value is null) return null;
        if (value.Length > max) value = value[..(max - 1)] + "…";
        return value.Any(char.IsControl) ? string.Concat(value.Select(c => char.IsControl(c) ? '\uFFFD' : c)) : value;
    }
}
