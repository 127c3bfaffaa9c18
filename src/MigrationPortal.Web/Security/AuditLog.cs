using MigrationPortal.Data;
using MigrationPortal.Data.Audit;
using MigrationPortal.Data.Concurrency;

namespace MigrationPortal.Web.Security;

/// <summary>
/// Records credential, license, admin-account and destructive actions in the audit log (<see cref="AuditEntry"/>):
/// the signed-in admin (or the given actor) and the client's address are taken from the request being served. Written
/// through a database context of its own, after the action saved its change, so an entry can never carry half of an
/// action's unsaved state with it; an entry that cannot be written (the database busy past its timeout) is logged
/// as a warning and does not undo or hide what the admin did.
/// </summary>
public sealed partial class AuditLog(IServiceScopeFactory scopes, IHttpContextAccessor requests, TimeProvider time, ILogger<AuditLog> logger)
{
    public const string Anonymous = "(not signed in)";

    public static string Rejected(bool source, bool destination) =>
        (source, destination) switch
        {
            (true, true) => "refused: source and destination credentials are incorrect",
            (true, _) => "refused: source credentials are incorrect",
            _ => "refused: destination credentials are incorrect",
        };

    /// <summary>Which sides got a password, never the password.</summary>
    public static string Passwords(bool source, bool destination) => (source, destination) switch
    {
        (true, true) => "source and destination passwords stored",
        (true, false) => "source password stored; destination asked of the user",
        (false, true) => "destination password stored; source asked of the user",
        _ => "both sides asked of the user",
    };

    public async Task RecordAsync(string action, string? target, string? detail, CancellationToken ct = default, string? actor = null)
    {
        var request = requests.HttpContext;
        var entry = new AuditEntry(time.GetUtcNow(),
            actor ?? request?.User.Identity?.Name ?? Anonymous,
            request?.Connection.RemoteIpAddress?.ToString(),
            action, target, detail);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            db.AuditEntries.Add(entry);
            using (await scope.ServiceProvider.GetRequiredService<DatabaseWriteGate>().EnterAsync(CancellationToken.None))
                await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e) when (DatabaseErrors.IsBusy(e))
        {
            LogNotRecorded(logger, e, action, entry.Actor);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit entry not written (the database is busy): {Action} by {Actor}")]
    private static partial void LogNotRecorded(ILogger logger, Exception e, string action, string actor);
}
