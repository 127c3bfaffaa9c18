using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>Reads which sides of a project log in with the admin's app or service account, for the actions that ask for or check passwords.</summary>
public static class ProjectSignIns
{
    public static async Task<TokenSides> TokenSidesAsync(PortalDbContext db, int projectId, CancellationToken ct)
    {
        var methods = await db.Projects.AsNoTracking().Where(p => p.Id == projectId)
            .Select(p => new { Source = p.SourceSignIn.Method, Destination = p.DestinationSignIn.Method })
            .SingleOrDefaultAsync(ct);
        return methods is null ? default : new TokenSides(SideSignIn.AdminAuthorises(methods.Source), SideSignIn.AdminAuthorises(methods.Destination));
    }
}
