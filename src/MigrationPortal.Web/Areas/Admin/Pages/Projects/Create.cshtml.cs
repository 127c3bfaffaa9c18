using Microsoft.AspNetCore.Mvc;
using MigrationPortal.Core;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Web.Projects.Discovery;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

public sealed class CreateModel(PortalDbContext db, TimeProvider time, Security.AuditLog audit, ServerSettingsDiscovery discovery, EndpointChoices choices)
    : ProjectFormPage(discovery, choices)
{
    public override string SaveButton => "Create project";

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid) return Page();
        try
        {
            var project = new MigrationProject(Input.Name, Input.Source(), Input.Destination(), Input.MaxConcurrentMigrations, time.GetUtcNow());
            project.SetReminders(Input.ReminderAfterDays, Input.MaxReminders);
            project.SetSpeedLimits(Input.MaxMessagesPerSecond, Input.MaxKilobytesPerSecond);
            db.Projects.Add(project);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync("Project created", $"project {project.Id}: {project.Name}", $"source {project.Source}, destination {project.Destination}", ct);
            return RedirectToPage("Dashboard", new { id = project.Id });
        }
        catch (DomainValidationException e)
        {
            ModelState.AddModelError(string.Empty, e.Message);
            return Page();
        }
    }
}
