using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

public sealed class IndexModel(PortalDbContext db) : PageModel
{
    public sealed record Row(int Id, string Name, string Source, string Destination, int Mailboxes);

    public IReadOnlyList<Row> Projects { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name)
            .Select(p => new { p.Id, p.Name, p.Source, p.Destination, Mailboxes = db.Mailboxes.Count(m => m.ProjectId == p.Id) })
            .ToListAsync(ct);
        Projects = projects.Select(p => new Row(p.Id, p.Name, p.Source.ToString(), p.Destination.ToString(), p.Mailboxes)).ToList();
    }
}
