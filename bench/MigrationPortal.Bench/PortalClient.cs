using System.Net;
using AngleSharp;
using AngleSharp.Html.Dom;

namespace MigrationPortal.Bench;

/// <summary>
/// A small browser for the benchmark: it keeps the portal's cookies, parses its pages, and submits the pages' real
/// forms (antiforgery field, checkboxes and the pressed button's formaction included), so the portal is driven exactly
/// as an admin drives it. The bench's own, deliberately smaller than the tests' HtmlClient (the bench stands alone).
/// </summary>
public sealed class PortalClient : IDisposable
{
    private readonly HttpClient http;
    private readonly CookieContainer cookies = new();

    public PortalClient(Uri baseAddress)
    {
        var handler = new HttpClientHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = true };
        // A 20-mailbox dashboard on a busy 2-core machine can take a while; a stuck portal is caught by the caller's deadline.
        http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>The address of the last page, after redirects (a created project's id is in it).</summary>
    public Uri? LastAddress { get; private set; }

    public async Task<IHtmlDocument> GetAsync(string path)
    {
        using var response = await http.GetAsync(path);
        return await ParseAsync(response, path);
    }

    public async Task<string> GetStringAsync(string path) => await http.GetStringAsync(path);

    /// <summary>Fills the form by field name (text to inputs and selects, "true"/"false" to checkboxes), checks the boxes with the given values, and presses the button.</summary>
    public async Task<IHtmlDocument> SubmitAsync(IHtmlFormElement form, string buttonText, IReadOnlyDictionary<string, string>? fields = null,
        IEnumerable<string>? checkValues = null)
    {
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            var elements = form.Elements.Where(e => e.GetAttribute("name") == name).ToList();
            if (elements.Count == 0) throw new InvalidOperationException($"The form on {form.Owner?.Url} has no field named {name}.");
            foreach (var element in elements)
            {
                switch (element)
                {
                    case IHtmlInputElement { Type: "checkbox" } box: box.IsChecked = bool.Parse(value); break;
                    case IHtmlInputElement input: input.Value = value; break;
                    case IHtmlSelectElement select: select.Value = value; break;
                    case IHtmlTextAreaElement area: area.Value = value; break;
                }
            }
        }
        var wanted = (checkValues ?? []).ToHashSet();
        foreach (var box in form.Elements.OfType<IHtmlInputElement>().Where(i => i.Type == "checkbox" && wanted.Contains(i.Value)))
        {
            box.IsChecked = true;
            wanted.Remove(box.Value);
        }
        if (wanted.Count > 0) throw new InvalidOperationException($"The form has no checkbox with value {wanted.First()}.");

        var button = form.Elements.OfType<IHtmlButtonElement>().FirstOrDefault(b => b.TextContent.Trim() == buttonText && b.Type == "submit")
            ?? throw new InvalidOperationException($"The form on {form.Owner?.Url} has no submit button '{buttonText}'.");
        var submission = form.GetSubmission(button) ?? throw new InvalidOperationException("The form cannot be submitted.");
        using var request = new HttpRequestMessage(new HttpMethod(submission.Method.ToString().ToUpperInvariant()), submission.Target.Href);
        if (submission.Body is { } body)
        {
            var content = new StreamContent(body);
            foreach (var header in submission.Headers)
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            request.Content = content;
        }
        using var response = await http.SendAsync(request);
        return await ParseAsync(response, submission.Target.PathName);
    }

    /// <summary>The Cookie header this client sends to <paramref name="address"/> (the admin's login), for another load tool.</summary>
    public string CookieHeader(Uri address) => cookies.GetCookieHeader(address);

    /// <summary>
    /// Posts a form with a file (multipart/form-data), as a browser does: the form's hidden fields (antiforgery
    /// included), its checked boxes as set by <paramref name="fields"/>, and the file under <paramref name="fileField"/>.
    /// </summary>
    public async Task<IHtmlDocument> UploadAsync(IHtmlFormElement form, string buttonText, string fileField, string fileName, byte[] file,
        IReadOnlyDictionary<string, string>? fields = null)
    {
        var button = form.Elements.OfType<IHtmlButtonElement>().FirstOrDefault(b => b.TextContent.Trim() == buttonText && b.Type == "submit")
            ?? throw new InvalidOperationException($"The form on {form.Owner?.Url} has no submit button '{buttonText}'.");
        using var content = new MultipartFormDataContent();
        foreach (var input in form.Elements.OfType<IHtmlInputElement>())
        {
            if (string.IsNullOrEmpty(input.Name) || input.Name == fileField) continue;
            var wanted = fields?.GetValueOrDefault(input.Name);
            if (input.Type == "checkbox")
            {
                if (wanted is not null ? bool.Parse(wanted) : input.IsChecked) content.Add(new StringContent(input.Value), input.Name);
            }
            else
            {
                content.Add(new StringContent(input.Type == "hidden" || wanted is null ? input.Value : wanted), input.Name);
            }
        }
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        content.Add(part, fileField, fileName);
        // An empty action posts back to the page's own address, as a browser does.
        var target = new Uri(new Uri(form.Owner!.Url), button.GetAttribute("formaction") ?? form.GetAttribute("action") ?? "");
        using var response = await http.PostAsync(target, content);
        return await ParseAsync(response, target.AbsolutePath);
    }

    private async Task<IHtmlDocument> ParseAsync(HttpResponseMessage response, string what)
    {
        // Only the page's status is said, never its body: a failed form page holds what was typed into it.
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{what}: the portal answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        LastAddress = response.RequestMessage?.RequestUri;
        var html = await response.Content.ReadAsStringAsync();
        // Opened at the response's address, so forms resolve their action against it as in a browser.
        return (IHtmlDocument)await BrowsingContext.New(Configuration.Default)
            .OpenAsync(r => r.Content(html).Address(LastAddress?.ToString() ?? http.BaseAddress!.ToString()));
    }

    public void Dispose() => http.Dispose();
}
