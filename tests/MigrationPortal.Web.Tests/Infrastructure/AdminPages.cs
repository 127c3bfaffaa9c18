using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>Page objects for the admin area: every step goes through the real pages and forms.</summary>
public sealed class AdminPages(HtmlClient client) : IDisposable
{
    public HtmlClient Client => client;

    public void Dispose() => client.Dispose();

    /// <summary>Another tab of the same signed-in browser: shares the cookies, has its own last response.</summary>
    public static AdminPages Open(PortalFactory factory, HttpClient signedIn) => new(new HtmlClient(signedIn, ownsClient: false));

    /// <summary>A browser of its own (its own cookies), following redirects: another admin, or the same on another machine.</summary>
    public static AdminPages Browser(PortalFactory factory) =>
        new(new HtmlClient(factory.CreateDefaultClient(new Microsoft.AspNetCore.Mvc.Testing.Handlers.RedirectHandler(),
            new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(new CookieContainer()))));

    public static AdminPages Open(PortalFactory factory) =>
        new(new HtmlClient(factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = true, HandleCookies = true })));

    public async Task<IHtmlDocument> LoginAsync(string email = PortalFactory.AdminEmail, string password = PortalFactory.AdminPassword)
    {
        var page = await client.GetAsync("/Admin/Account/Login");
        return await client.SubmitAsync(Form(page), "Log in", new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });
    }

    public Task<int> CreateProjectAsync(string name = "Acme move", string sourceHost = "imap.source.test", string destinationHost = "imap.destination.test") =>
        CreateProjectAsync(name, (sourceHost, 993, "Tls"), (destinationHost, 993, "Tls"));

    public async Task<int> CreateProjectAsync(string name, (string Host, int Port, string Security) source, (string Host, int Port, string Security) destination)
    {
        var page = await client.GetAsync("/Admin/Projects/Create");
        await client.SubmitAsync(Form(page), "Create project", new Dictionary<string, string>
        {
            ["Input.Name"] = name,
            ["Input.SourceHost"] = source.Host,
            ["Input.SourcePort"] = source.Port.ToString(),
            ["Input.SourceSecurity"] = source.Security,
            ["Input.DestinationHost"] = destination.Host,
            ["Input.DestinationPort"] = destination.Port.ToString(),
            ["Input.DestinationSecurity"] = destination.Security,
            ["Input.MaxConcurrentMigrations"] = "5",
        });
        var path = client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath;
        Assert.StartsWith("/Admin/Projects/Dashboard/", path);
        return int.Parse(path.Split('/').Last());
    }

    /// <summary>Changes a project's "Maximum concurrent migrations" on its Edit page, the rest as it was.</summary>
    public async Task SetMaxConcurrentMigrationsAsync(int projectId, int cap)
    {
        var page = await client.GetAsync($"/Admin/Projects/Edit/{projectId}");
        var saved = await client.SubmitAsync(Form(page), "Save", new Dictionary<string, string> { ["Input.MaxConcurrentMigrations"] = cap.ToString() });
        Assert.True(client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath.StartsWith("/Admin/Projects/Dashboard/", StringComparison.Ordinal),
            "The project was not saved: " + Errors(saved));
    }

    /// <summary>Renames a project on its Edit page, the rest as it was.</summary>
    public async Task RenameProjectAsync(int projectId, string name)
    {
        var page = await client.GetAsync($"/Admin/Projects/Edit/{projectId}");
        var saved = await client.SubmitAsync(Form(page), "Save", new Dictionary<string, string> { ["Input.Name"] = name });
        Assert.True(client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath.StartsWith("/Admin/Projects/Dashboard/", StringComparison.Ordinal),
            "The project was not saved: " + Errors(saved));
    }

    /// <summary>Presses a button (Preview, Save, Use the default) of one email's form on the project's Emails page.</summary>
    /// <param name="kind">Request, Completed or Failed: the section the form is in.</param>
    public async Task<IHtmlDocument> EmailWordingAsync(int projectId, string kind, string button, string subject, string body)
    {
        var page = await client.GetAsync($"/Admin/Projects/Emails/{projectId}");
        var form = page.QuerySelector($"#{kind} form") as IHtmlFormElement ?? throw new InvalidOperationException($"No {kind} email on the Emails page.");
        return await client.SubmitAsync(form, button, new Dictionary<string, string> { ["subject"] = subject, ["body"] = body });
    }

    /// <summary>Saves how one side of a project signs in (the Sign-in page's form for that side).</summary>
    /// <param name="side">"source" or "destination".</param>
    /// <param name="method">Password, Microsoft365App or GoogleServiceAccount.</param>
    /// <param name="keyFile">The service account key to upload, if any.</param>
    /// <param name="certificate">The Microsoft app's certificate file to upload, if any.</param>
    public async Task<IHtmlDocument> SignInAsync(int projectId, string side, string method, IReadOnlyDictionary<string, string>? fields = null, byte[]? keyFile = null,
        byte[]? certificate = null)
    {
        var page = await client.GetAsync($"/Admin/Projects/SignIn/{projectId}");
        var form = page.QuerySelector($"#{side} form") as IHtmlFormElement ?? throw new InvalidOperationException($"No {side} form on the Sign-in page.");
        var radio = form.QuerySelectorAll<IHtmlInputElement>("input[type='radio'][name='Input.Method']").SingleOrDefault(r => r.Value == method)
            ?? throw new InvalidOperationException($"No sign-in method {method}.");
        radio.IsChecked = true;
        if (keyFile is not null)
            ((IHtmlInputElement)form.QuerySelector("input[name='Input.ServiceAccountKey']")!).Files!.Add(new UploadedFile("service-account.json", keyFile));
        if (certificate is not null)
            ((IHtmlInputElement)form.QuerySelector("input[name='Input.Certificate']")!).Files!.Add(new UploadedFile("app.pfx", certificate));
        var button = form.Elements.OfType<IHtmlButtonElement>().Single(b => b.Type == "submit");
        return await client.SubmitAsync(form, button.TextContent.Trim(), fields);
    }

    /// <summary>Adds a mailbox; a null password means "I don't know the username or password" for that side.</summary>
    /// <param name="login">The login name for both sides, when the admin knows it (the email address otherwise).</param>
    public async Task<int> AddMailboxAsync(int projectId, string email, string? sourcePassword, string? destinationPassword, string? login = null)
    {
        var page = await client.GetAsync($"/Admin/Mailboxes/Create?projectId={projectId}");
        var dashboard = await client.SubmitAsync(Form(page), "Add mailbox", new Dictionary<string, string>
        {
            ["Input.SourceEmail"] = email,
            ["Input.SourceLogin"] = login ?? "",
            ["Input.DestinationLogin"] = login ?? "",
            ["Input.SourceUnknown"] = (sourcePassword is null).ToString(),
            ["Input.SourcePassword"] = sourcePassword ?? "",
            ["Input.DestinationEmail"] = email,
            ["Input.DestinationUnknown"] = (destinationPassword is null).ToString(),
            ["Input.DestinationPassword"] = destinationPassword ?? "",
            ["Input.NotifyEmail"] = email,
        });
        var row = dashboard.QuerySelectorAll("tr[data-mailbox-id]").LastOrDefault(r => r.TextContent.Contains(email))
            ?? throw new InvalidOperationException("The mailbox was not added: " + Errors(dashboard));
        return int.Parse(row.GetAttribute("data-mailbox-id")!);
    }

    public async Task<IHtmlDocument> AddLicensesAsync(int quantity)
    {
        var page = await client.GetAsync("/Admin/Licenses");
        return await client.SubmitAsync(Form(page), "Add licenses", new Dictionary<string, string> { ["Input.Quantity"] = quantity.ToString() });
    }

    public Task<IHtmlDocument> DashboardAsync(int projectId) => client.GetAsync($"/Admin/Projects/Dashboard/{projectId}");

    /// <summary>
    /// The project's dashboard once <paramref name="done"/> holds for it (the worker moves mailboxes on by itself), read
    /// again every 150 ms; after a minute a TimeoutException with the mailbox table and the last lines of <paramref name="log"/>.
    /// </summary>
    public async Task<IHtmlDocument> WaitForDashboardAsync(int projectId, Func<IHtmlDocument, bool> done, IEnumerable<string>? log = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var dashboard = await DashboardAsync(projectId);
            if (done(dashboard)) return dashboard;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("Still waiting: " + dashboard.QuerySelector("table.mailboxes")?.TextContent + "\n" + string.Join("\n", (log ?? []).TakeLast(20)));
            await Task.Delay(150);
        }
    }

    /// <summary>Checks the given rows on the dashboard and presses a toolbar (or dialog) button.</summary>
    public async Task<IHtmlDocument> ActAsync(int projectId, string button, IEnumerable<int> mailboxIds, IReadOnlyDictionary<string, string>? fields = null)
    {
        var page = await DashboardAsync(projectId);
        var form = (IHtmlFormElement)page.QuerySelector("form#mailboxes")!;
        var ids = mailboxIds.Select(id => id.ToString()).ToList();
        AddBoxesFromOtherPages(form, ids);
        return await client.SubmitAsync(form, button, fields, ids);
    }

    /// <summary>
    /// The dashboard shows one page of mailboxes; a selection of more (as a script, or a page kept open while the
    /// list changed, would post it) gets a box for each id not on this page, so the post carries exactly these ids.
    /// </summary>
    public static void AddBoxesFromOtherPages(IHtmlFormElement form, IReadOnlyCollection<string> ids)
    {
        var onPage = form.Elements.OfType<IHtmlInputElement>().Where(i => i.Name == "selected").Select(i => i.Value).ToHashSet();
        foreach (var id in ids.Where(id => !onPage.Contains(id)))
        {
            var box = form.Owner!.CreateElement("input");
            box.SetAttribute("type", "checkbox");
            box.SetAttribute("name", "selected");
            box.SetAttribute("value", id);
            form.AppendChild(box);
        }
    }

    /// <summary>
    /// Reloads the dashboard an action redirected to until its report has no item left waiting for the background
    /// (Verify Credentials), as the page's own refresh would.
    /// </summary>
    public async Task<IHtmlDocument> WaitForReportAsync(IHtmlDocument dashboard, TimeSpan? timeout = null)
    {
        var address = client.LastResponse!.RequestMessage!.RequestUri!.PathAndQuery;
        // Generous: a wait that ends as soon as the report is done costs a green run nothing, and a loaded machine needs it.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (dashboard.QuerySelector("#report-waiting") is not null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The report still has items waiting: " + Report(dashboard));
            await Task.Delay(100);
            dashboard = await client.GetAsync(address);
        }
        return dashboard;
    }

    /// <summary>Presses a toolbar button on a dashboard loaded earlier, as a second admin with the page open would.</summary>
    public async Task<(HttpStatusCode Status, IHtmlDocument Page)> SubmitOnAsync(IHtmlDocument dashboard, string button, IEnumerable<int> mailboxIds,
        IReadOnlyDictionary<string, string>? fields = null)
    {
        // A copy per press: AngleSharp's form keeps the boxes checked by an earlier press.
        var page = await HtmlClient.CopyAsync(dashboard);
        var form = (IHtmlFormElement)page.QuerySelector("form#mailboxes")!;
        var ids = mailboxIds.Select(id => id.ToString()).ToList();
        AddBoxesFromOtherPages(form, ids);
        var result = await client.SubmitAsync(form, button, fields, ids);
        return (client.LastResponse!.StatusCode, result);
    }

    public static IHtmlFormElement Form(IHtmlDocument page) =>
        page.QuerySelector("main form") as IHtmlFormElement ?? throw new InvalidOperationException("No form on " + page.Url);

    public static string StatusOf(IHtmlDocument dashboard, int mailboxId) =>
        dashboard.QuerySelector($"tr[data-mailbox-id='{mailboxId}'] td.status summary")?.TextContent.Trim()
        ?? dashboard.QuerySelector($"tr[data-mailbox-id='{mailboxId}'] td.status")?.TextContent.Trim()
        ?? "(no such row)";

    public static int LicensesAvailable(IHtmlDocument page) =>
        int.Parse(page.QuerySelector("#licenses-available")!.TextContent.Trim());

    public static string Report(IHtmlDocument dashboard) =>
        dashboard.QuerySelector("#action-report")?.TextContent.Trim() ?? "";

    public static string Errors(IHtmlDocument page) =>
        string.Join(" ", page.QuerySelectorAll(".errors li, .error").Select(e => e.TextContent.Trim()).Where(t => t.Length > 0));
}
