using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>The project form's pinned-certificate fields, posted as a browser would.</summary>
public sealed class ProjectCertificatePinTests
{
    private const string Fingerprint = "3A7F0C9B1E2D4F6A8B0C1D2E3F405162738495A6B7C8D9E0F1A2B3C4D5E6F708";
    private const string PastedFromTheError = "3a:7f:0c:9b:1e:2d:4f:6a:8b:0c:1d:2e:3f:40:51:62:73:84:95:a6:b7:c8:d9:e0:f1:a2:b3:c4:d5:e6:f7:08";

    [Fact]
    public async Task Create_PinPastedFromTheError_SavedForThatSideAndShownAsPinned()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var create = await admin.Client.GetAsync("/Admin/Projects/Create");
        Assert.Equal("Source pinned certificate (SHA-256)", create.QuerySelector("label[for='Input_SourceCertificateSha256']")!.TextContent);
        Assert.Contains("only for a server with a self-signed certificate; paste the fingerprint shown in the error",
            create.QuerySelector("#" + create.QuerySelector("#Input_SourceCertificateSha256")!.GetAttribute("aria-describedby"))!.TextContent);

        await SubmitCreateAsync(admin, sourcePin: PastedFromTheError);

        var path = admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath;
        Assert.StartsWith("/Admin/Projects/Dashboard/", path);
        var project = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync());
        Assert.Equal(Fingerprint, project.Source.CertificateSha256);
        Assert.Null(project.Destination.CertificateSha256);
        var dashboard = await admin.DashboardAsync(project.Id);
        Assert.Contains("imap.source.test:993 (Tls, pinned certificate)", dashboard.QuerySelector("p.meta")!.TextContent);

        // The edit form shows the pin as the error showed it, and saving it untouched keeps it.
        var edit = await admin.Client.GetAsync($"/Admin/Projects/Edit/{project.Id}");
        Assert.Equal(PastedFromTheError.ToUpperInvariant(), Field(edit, "Input.SourceCertificateSha256"));
        await admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string> { ["Input.DestinationCertificateSha256"] = Fingerprint.ToLowerInvariant() });
        var saved = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync());
        Assert.Equal(Fingerprint, saved.Source.CertificateSha256);
        Assert.Equal(Fingerprint, saved.Destination.CertificateSha256);
    }

    [Fact]
    public async Task Create_PinThatIsNoFingerprint_ShowsTheMessageAtTheFieldAndSavesNothing()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();

        var page = await SubmitCreateAsync(admin, destinationPin: "SHA1 Fingerprint=3A:7F:0C:9B");

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        var error = page.QuerySelector("span[data-valmsg-for='Input.DestinationCertificateSha256']")!.TextContent;
        Assert.Contains("Destination pinned certificate (SHA-256): The pinned certificate must be a SHA-256 fingerprint", error);
        Assert.Equal("SHA1 Fingerprint=3A:7F:0C:9B", Field(page, "Input.DestinationCertificateSha256"));
        Assert.Equal("imap.source.test", Field(page, "Input.SourceHost"));
        Assert.Equal(0, await portal.WithDbAsync(db => db.Projects.CountAsync()));
    }

    [Fact]
    public async Task Edit_PinWithoutTls_RefusedAndTheProjectUnchanged()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var id = await admin.CreateProjectAsync();

        var edit = await admin.Client.GetAsync($"/Admin/Projects/Edit/{id}");
        var page = await admin.Client.SubmitAsync(AdminPages.Form(edit), "Save", new Dictionary<string, string>
        {
            ["Input.Name"] = "Renamed",
            ["Input.SourcePort"] = "143",
            ["Input.SourceSecurity"] = "None",
            ["Input.SourceCertificateSha256"] = Fingerprint,
        });

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains("A pinned certificate needs TLS or STARTTLS", AdminPages.Errors(page));
        var project = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync());
        Assert.Equal("Acme move", project.Name);
        Assert.Equal(993, project.Source.Port);
        Assert.Null(project.Source.CertificateSha256);
    }

    private static async Task<IHtmlDocument> SubmitCreateAsync(AdminPages admin, string sourcePin = "", string destinationPin = "")
    {
        var form = AdminPages.Form(await admin.Client.GetAsync("/Admin/Projects/Create"));
        return await admin.Client.SubmitAsync(form, "Create project", new Dictionary<string, string>
        {
            ["Input.Name"] = "Self-signed source",
            ["Input.SourceHost"] = "imap.source.test",
            ["Input.SourcePort"] = "993",
            ["Input.SourceSecurity"] = "Tls",
            ["Input.SourceCertificateSha256"] = sourcePin,
            ["Input.DestinationHost"] = "imap.destination.test",
            ["Input.DestinationPort"] = "993",
            ["Input.DestinationSecurity"] = "Tls",
            ["Input.DestinationCertificateSha256"] = destinationPin,
            ["Input.MaxConcurrentMigrations"] = "5",
        });
    }

    private static string Field(IHtmlDocument page, string name) =>
        ((IHtmlInputElement)page.QuerySelector($"input[name='{name}']")!).Value;
}
