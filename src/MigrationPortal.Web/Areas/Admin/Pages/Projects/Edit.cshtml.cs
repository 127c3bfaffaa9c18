using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Data;
using MigrationPortal.Data.Projects;
using MigrationPortal.Web.Projects.Discovery;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

public sealed class EditModel(PortalDbContext db, Security.AuditLog audit, ServerSettingsDiscovery discovery, EndpointChoices choices)
    : ProjectFormPage(discovery, choices)
{
    public override string SaveButton => "Save";

    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    /// <summary>The project's version when the form was loaded: saving over a newer one would lose that change.</summary>
    [BindProperty]
    public string Version { get; set; } = "";

    /// <summary>The project changed since the form was loaded; nothing was saved.</summary>
    public bool ChangedMeanwhile { get; private set; }

    public const string ChangedText = "This project changed since you opened it (another admin changed it). Reload to see it, then make your change again.";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var project = await db.Projects.FindAsync([Id], ct);
        if (project is null) return NotFound();
        Input = ProjectInput.From(project);
        Version = ProjectVersion.Of(db, project);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var project = await db.Projects.FindAsync([Id], ct);
        if (project is null) return NotFound();
        if (!ModelState.IsValid) return Page();
        // The posted version stays in the form when refused, so saving it again is refused again: the admin reloads first.
        if (!ProjectVersion.IsAt(db, project, Version))
        {
            ChangedMeanwhile = true;
            return Page();
        }
        try
        {
            project.Update(Input.Name, Input.Source(), Input.Destination(), Input.MaxConcurrentMigrations);
            project.SetReminders(Input.ReminderAfterDays, Input.MaxReminders);
            project.SetSpeedLimits(Input.MaxMessagesPerSecond, Input.MaxKilobytesPerSecond);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync("Project edited", $"project {project.Id}: {project.Name}", $"source {project.Source}, destination {project.Destination}", ct);
            return RedirectToPage("Dashboard", new { id = project.Id });
        }
        catch (DomainValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
            return Page();
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another save committed between this load and this save.
            ChangedMeanwhile = true;
            return Page();
        }
    }
}
