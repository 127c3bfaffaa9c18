using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Email.Templates;

namespace MigrationPortal.Web.Outbox;

/// <summary>How one project's user emails are worded: its name, its users' language, and the wordings it replaced.</summary>
public sealed record ProjectEmails(string ProjectName, CultureInfo Culture, IReadOnlyDictionary<UserEmailKind, UserEmailTemplate> Templates)
{
    /// <summary>The project's own wording of <paramref name="kind"/>; null: the default of its language.</summary>
    public UserEmailTemplate? For(UserEmailKind kind) => Templates.GetValueOrDefault(kind);

    public static async Task<ProjectEmails> LoadAsync(PortalDbContext db, int projectId, CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().Where(p => p.Id == projectId)
            .Select(p => new { p.Name, p.UserLanguage }).SingleOrDefaultAsync(ct);
        var templates = await db.EmailTemplates.AsNoTracking().Where(t => t.ProjectId == projectId).ToListAsync(ct);
        return new ProjectEmails(project?.Name ?? "", CultureInfo.GetCultureInfo(project?.UserLanguage ?? MigrationProject.UserLanguages[0]),
            templates.ToDictionary(t => t.Kind, t => new UserEmailTemplate(t.Subject, t.Body)));
    }
}
