using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// Hostile text in every field an admin (or a stranger at the sign-in) can type, posted as a script would post it,
/// past the browser's own checks: markup, SQL, a right-to-left override, a NUL, a line break and a 1 MB string. The
/// safe outcome each time: no error page (a clear message, or the text stored and shown as text), and every page
/// still renders without the markup running.
/// </summary>
public sealed class HostileTextTests
{
    private const string Markup = "<script>alert('x')</script>";

    public static readonly IReadOnlyDictionary<string, string> Payloads = new Dictionary<string, string>
    {
        ["markup"] = Markup,
        ["SQL"] = "Robert'); DROP TABLE \"Mailboxes\";--",
        ["right-to-left override"] = "invoice\u202Egpj.exe",
        ["NUL"] = "before\0after",
        ["line break"] = "first\r\nsecond",
        ["1 MB"] = new string('x', 1_000_000),
    };

    [Fact]
    public async Task EveryTypedField_EachHostilePayload_NoErrorPageAndEveryPageStillRendersItAsText()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", "Source-Passw0rd", null, login: "ada@example.org");
        var targets = new (string Page, string Field, Dictionary<string, string> Base)[]
        {
            ("/Admin/Licenses", "Input.Note", new() { ["Input.Quantity"] = "1" }),
            ("/Admin/Projects/Create", "Input.Name", Project()),
            ("/Admin/Projects/Create", "Input.SourceHost", Project()),
            ($"/Admin/Projects/Edit/{project}", "Input.Name", Project()),
            ($"/Admin/Mailboxes/Create?projectId={project}", "Input.SourceEmail", MailboxFields()),
            ($"/Admin/Mailboxes/Create?projectId={project}", "Input.SourceLogin", MailboxFields(sourceKnown: true)),
            ($"/Admin/Mailboxes/Create?projectId={project}", "Input.SourcePassword", MailboxFields(sourceKnown: true)),
            ($"/Admin/Mailboxes/Create?projectId={project}", "Input.NotifyEmail", MailboxFields()),
            ($"/Admin/Mailboxes/Edit/{mailbox}", "Input.DestinationEmail", MailboxFields()),
        };

        var errors = new List<string>();
        foreach (var (page, field, fields) in targets)
            foreach (var (name, payload) in Payloads)
            {
                var status = await PostAsync(admin.Client, page, new Dictionary<string, string>(fields) { [field] = payload });
                if ((int)status >= 500) errors.Add($"{page} {field} with {name}: {(int)status}");
            }
        var stranger = AdminPages.Open(portal);
        foreach (var (name, payload) in Payloads)
        {
            var status = await PostAsync(stranger.Client, "/Admin/Account/Login",
                new Dictionary<string, string> { ["Input.Email"] = payload + "@example.org", ["Input.Password"] = payload });
            if ((int)status >= 500) errors.Add($"sign-in with {name}: {(int)status}");
        }

        Assert.Empty(errors);
        // What was refused says why: a line break in a license note (a NUL is refused before the form is read, 400).
        var licenses = await admin.Client.GetAsync("/Admin/Licenses");
        var refused = await admin.Client.SubmitAsync(AdminPages.Form(licenses), "Add licenses",
            new Dictionary<string, string> { ["Input.Quantity"] = "1", ["Input.Note"] = "first\r\nsecond" });
        Assert.Contains("The note contains control characters.", refused.Body!.TextContent);
        foreach (var path in new[] { "/Admin/Projects", $"/Admin/Projects/Dashboard/{project}", "/Admin/Licenses", "/Admin/Audit", "/Admin/Outbox" })
        {
            using var response = await admin.Client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain(Markup, await response.Content.ReadAsStringAsync());
        }
        Assert.True(await portal.WithDbAsync(db => db.Mailboxes.AnyAsync(m => m.Id == mailbox)));
    }

    private static Dictionary<string, string> Project() => new()
    {
        ["Input.Name"] = "Hostile " + Guid.NewGuid().ToString("N")[..6],
        ["Input.SourceHost"] = "imap.source.test",
        ["Input.SourcePort"] = "993",
        ["Input.SourceSecurity"] = "Tls",
        ["Input.DestinationHost"] = "imap.destination.test",
        ["Input.DestinationPort"] = "993",
        ["Input.DestinationSecurity"] = "Tls",
        ["Input.MaxConcurrentMigrations"] = "5",
    };

    private static Dictionary<string, string> MailboxFields(bool sourceKnown = false)
    {
        var email = $"h{Guid.NewGuid():N}"[..10] + "@example.org";
        var fields = new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = email,
            ["Input.DestinationEmail"] = email,
            ["Input.DestinationUnknown"] = "true",
            ["Input.NotifyEmail"] = email,
        };
        if (sourceKnown)
        {
            fields["Input.SourceLogin"] = email;
            fields["Input.SourcePassword"] = "Source-Passw0rd";
        }
        else
        {
            fields["Input.SourceUnknown"] = "true";
        }
        return fields;
    }

    /// <summary>Posts the page's own form (its antiforgery token and hidden fields) with <paramref name="fields"/> set, as a script would.</summary>
    private static async Task<HttpStatusCode> PostAsync(HtmlClient client, string page, Dictionary<string, string> fields)
    {
        var document = await client.GetAsync(page);
        var form = document.QuerySelector("main form[method='post']") as IHtmlFormElement
                   ?? throw new InvalidOperationException($"{page} shows no form: {client.LastResponse!.StatusCode}");
        var values = form.Elements.OfType<IHtmlInputElement>()
            .Where(i => i.Name is { Length: > 0 } && i.Type is "hidden" && !fields.ContainsKey(i.Name!))
            .Select(i => KeyValuePair.Create(i.Name!, i.Value))
            .Concat(fields)
            .ToList();
        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? page : form.GetAttribute("action")!;
        using var response = await client.Http.PostAsync(action, new FormUrlEncodedContent(values));
        return response.StatusCode;
    }
}
