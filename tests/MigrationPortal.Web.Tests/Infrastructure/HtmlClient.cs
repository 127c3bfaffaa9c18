using AngleSharp;
using AngleSharp.Html.Dom;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// A small browser for integration tests: it keeps cookies, parses pages, and submits the pages' real forms
/// (hidden antiforgery field, checkboxes and the pressed button's formaction included) as a browser would.
/// </summary>
public sealed class HtmlClient(HttpClient http, bool ownsClient = true) : IDisposable
{
    public HttpClient Http => http;

    /// <summary>The last response, after redirects.</summary>
    public HttpResponseMessage? LastResponse { get; private set; }

    public async Task<IHtmlDocument> GetAsync(string url)
    {
        LastResponse = await http.GetAsync(url);
        return await ParseAsync(LastResponse);
    }

    /// <summary>Fills the form (by field name: text goes to inputs, "true"/"false" to checkboxes) and presses the button.</summary>
    /// <summary>Where a GET of <paramref name="path"/> ends after its redirects (the sign-in page, when refused), answered 200.</summary>
    public async Task<string> LandsOnAsync(string path)
    {
        await GetAsync(path);
        Assert.Equal(System.Net.HttpStatusCode.OK, LastResponse!.StatusCode);
        return LastResponse.RequestMessage!.RequestUri!.AbsolutePath;
    }

    public async Task<IHtmlDocument> SubmitAsync(IHtmlFormElement form, string buttonText, IReadOnlyDictionary<string, string>? fields = null, IEnumerable<string>? checkValues = null)
    {
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            var elements = form.Elements.Where(e => e.GetAttribute("name") == name).ToList();
            if (elements.Count == 0) throw new InvalidOperationException($"The form has no field named {name}.");
            foreach (var element in elements)
            {
                switch (element)
                {
                    case IHtmlInputElement { Type: "checkbox" } box:
                        box.IsChecked = bool.Parse(value);
                        break;
                    case IHtmlInputElement input:
                        input.Value = value;
                        break;
                    case IHtmlSelectElement select:
                        select.Value = value;
                        break;
                    case IHtmlTextAreaElement area:
                        area.Value = value;
                        break;
                }
            }
        }
        if (checkValues is not null)
        {
            // One pass over the form: a dashboard of 10,000 rows would otherwise be searched 10,000 times.
            var boxes = form.Elements.OfType<IHtmlInputElement>().Where(i => i.Type == "checkbox")
                .GroupBy(i => i.Value).ToDictionary(g => g.Key, g => g.First());
            foreach (var value in checkValues)
            {
                var box = boxes.GetValueOrDefault(value) ?? throw new InvalidOperationException($"The form has no checkbox with value {value}.");
                box.IsChecked = true;
            }
        }

        var button = form.Elements.OfType<IHtmlButtonElement>().FirstOrDefault(b => b.TextContent.Trim() == buttonText && b.Type == "submit")
            ?? throw new InvalidOperationException($"The form has no submit button '{buttonText}'.");
        return await PressAsync(form, button);
    }

    /// <summary>Presses this button of the form as it is filled now: for a form with several buttons of the same text.</summary>
    public async Task<IHtmlDocument> PressAsync(IHtmlFormElement form, IHtmlButtonElement button)
    {
        var submission = form.GetSubmission(button) ?? throw new InvalidOperationException("The form cannot be submitted.");

        var request = new HttpRequestMessage(new HttpMethod(submission.Method.ToString().ToUpperInvariant()), submission.Target.Href);
        if (submission.Body is { } body)
        {
            var content = new StreamContent(body);
            foreach (var header in submission.Headers)
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            request.Content = content;
        }
        LastResponse = await http.SendAsync(request);
        return await ParseAsync(LastResponse);
    }

    private static async Task<IHtmlDocument> ParseAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        // Opened at the response's address, so forms resolve their action against it as in a browser.
        return await OpenAsync(html, response.RequestMessage?.RequestUri?.ToString() ?? "http://localhost/");
    }

    /// <summary>The same page afresh, as a second tab would hold it (no boxes checked by an earlier press).</summary>
    public static Task<IHtmlDocument> CopyAsync(IHtmlDocument page) => OpenAsync(page.DocumentElement.OuterHtml, page.Url);

    public static Task<IHtmlDocument> OpenHtmlAsync(string html) => OpenAsync(html, "http://localhost/");

    private static async Task<IHtmlDocument> OpenAsync(string html, string address) =>
        (IHtmlDocument)await BrowsingContext.New(Configuration.Default).OpenAsync(r => r.Content(html).Address(address));

    public void Dispose()
    {
        if (ownsClient) http.Dispose();
    }
}
