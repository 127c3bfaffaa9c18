using System.Data.Common;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MigrationPortal.Data.Outbox;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// Every POST handler of every page, found from the portal's own endpoints (a page added later is covered without
/// touching this test): posted by a signed-in admin without an antiforgery token it is refused with 400, and asked
/// for with GET it changes nothing. What "nothing" means is every row of every table of the portal's database.
/// </summary>
public sealed class StateChangingHandlerTests
{
    [Fact]
    public async Task EveryPostHandler_WithoutAntiforgeryTokenOrAsGet_ChangesNoRowAnywhere()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(2);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", "Source-Passw0rd", null);
        await admin.ActAsync(project, "Start", [mailbox]); // a credential request, a link, an email in the outbox
        var handlers = await PostHandlersAsync(portal, project, mailbox);
        var listed = string.Join(", ", handlers.Select(h => $"{h.Path} {h.Handler}"));
        Assert.True(handlers.Any(h => h.Path == $"/Admin/Projects/Dashboard/{project}" && h.Handler == "Delete"), listed);
        Assert.True(handlers.Any(h => h.Path == "/Admin/Licenses"), listed);
        Assert.True(handlers.Any(h => h.Path.StartsWith("/access/", StringComparison.Ordinal)), listed);
        // The email is written to the pickup directory in the background: wait for that before taking the picture.
        for (var tries = 0; await portal.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.State == OutboxState.Pending)); tries++)
        {
            Assert.True(tries < 200, "The credential email was not delivered to the pickup directory within 20 s.");
            await Task.Delay(100);
        }
        var before = await FingerprintAsync(portal);

        var refused = new List<string>();
        foreach (var (path, handler) in handlers)
        {
            var url = handler is null ? path : $"{path}?handler={handler}";
            // A plausible body for every handler; only the token is missing.
            using var post = await admin.Client.Http.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["selected"] = mailbox.ToString(), ["Input.Quantity"] = "50", ["clearSource"] = "true", ["clearDestination"] = "true",
            }));
            if (post.StatusCode != HttpStatusCode.BadRequest) refused.Add($"POST {url}: {(int)post.StatusCode}, not 400");
            using var get = await admin.Client.Http.GetAsync(url);
            if ((int)get.StatusCode >= 500) refused.Add($"GET {url}: {(int)get.StatusCode}");
        }

        Assert.Empty(refused);
        Assert.Equal(before, await FingerprintAsync(portal));
    }

    /// <summary>Each page's POST handlers, with its route filled in with this test's project and mailbox.</summary>
    private static async Task<List<(string Path, string? Handler)>> PostHandlersAsync(PortalFactory portal, int project, int mailbox)
    {
        var loader = portal.Services.GetRequiredService<PageLoader>();
        var pages = portal.Services.GetRequiredService<IActionDescriptorCollectionProvider>().ActionDescriptors.Items.OfType<PageActionDescriptor>();
        var found = new List<(string, string?)>();
        foreach (var page in pages)
        {
            var compiled = await loader.LoadAsync(page, EndpointMetadataCollection.Empty);
            var posts = compiled.HandlerMethods.Where(h => string.Equals(h.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase)).Select(h => h.Name).Distinct().ToList();
            if (posts.Count == 0) continue;
            var id = page.ViewEnginePath.StartsWith("/Mailboxes/", StringComparison.Ordinal) ? mailbox : project;
            var path = "/" + Regex.Replace(page.AttributeRouteInfo!.Template!, @"\{(\w+)[^}]*\}", m => m.Groups[1].Value switch
            {
                "id" => id.ToString(),
                "token" => "AbCdEf0123456789",
                _ => "",
            }).TrimEnd('/');
            found.AddRange(posts.Select(name => (path, name)));
        }
        return found;
    }

    /// <summary>Every row of every table but DataProtection's keys (which a first antiforgery token may create), as text.</summary>
    private static async Task<string> FingerprintAsync(PortalFactory portal) => await portal.WithDbAsync(async db =>
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = db.Database.IsNpgsql()
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
                : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        var text = new StringBuilder();
        foreach (var table in tables.Where(t => t != "DataProtectionKeys"))
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await select.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
                rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) is byte[] bytes
                    ? Convert.ToBase64String(bytes)
                    : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            rows.Sort(StringComparer.Ordinal);
            text.Append(table).Append('\n').AppendJoin('\n', rows).Append('\n');
        }
        return text.ToString();
    });
}
