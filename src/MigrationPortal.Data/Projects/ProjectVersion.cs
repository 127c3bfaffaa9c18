using System.Globalization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Data.Projects;

/// <summary>
/// A project's concurrency token as a form carries it: xmin on PostgreSQL, the Version column on SQLite (see
/// <see cref="PortalDbContext"/>), so the page need not know which.
/// </summary>
public static class ProjectVersion
{
    /// <summary>The version of the tracked <paramref name="project"/> as it was loaded.</summary>
    public static string Of(PortalDbContext db, MigrationProject project) =>
        Convert.ToString(Token(db, project).OriginalValue, CultureInfo.InvariantCulture) ?? "";

    /// <summary>
    /// Whether the tracked <paramref name="project"/> is still at <paramref name="version"/>. Saving it then checks the
    /// same version in the UPDATE's WHERE, so a change committed after this load fails the save with a
    /// <c>DbUpdateConcurrencyException</c> instead of being overwritten.
    /// </summary>
    public static bool IsAt(PortalDbContext db, MigrationProject project, string? version) =>
        string.Equals(Of(db, project), version, StringComparison.Ordinal);

    private static PropertyEntry Token(PortalDbContext db, MigrationProject project) =>
        db.Entry(project).Properties.Single(p => p.Metadata.IsConcurrencyToken);
}
