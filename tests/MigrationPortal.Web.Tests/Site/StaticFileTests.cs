using System.IO.Compression;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Site;

/// <summary>Static files are cached for good when their URL is versioned and sent compressed; pages are never compressed.</summary>
public sealed class StaticFileTests
{
    [Fact]
    public async Task EveryLayout_ReferencesVersionedFiles_ServedWithALongImmutableCacheLifetime()
    {
        await using var portal = new PortalFactory();
        var client = AdminPages.Open(portal).Client;
        var adminLayout = await client.GetAsync("/Admin/Account/Login");
        var publicLayout = await client.GetAsync("/access/not-a-real-token");

        var references = new[] { adminLayout, publicLayout }
            .SelectMany(page => page.QuerySelectorAll("link[href], script[src]"))
            .Select(e => e.GetAttribute("href") ?? e.GetAttribute("src")!)
            .ToList();

        Assert.Equal(4, references.Count);
        foreach (var url in references)
        {
            Assert.Matches(@"\?v=[\w-]+$", url);
            var response = await client.Http.GetAsync(url);
            Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
        }
        var unversioned = await client.Http.GetAsync("/css/site.css");
        Assert.True(unversioned.Headers.CacheControl?.NoCache, "an unversioned URL is revalidated");
    }

    [Theory]
    [InlineData("http://localhost", "br")]
    [InlineData("https://localhost", "br")]
    [InlineData("https://localhost", "gzip")]
    public async Task StaticFile_AcceptEncoding_ServedCompressedWithTheSameContent(string baseAddress, string encoding)
    {
        await using var portal = new PortalFactory();
        var http = Client(portal, baseAddress);
        var original = await File.ReadAllBytesAsync(Path.Combine(PortalFactory.RepositoryRoot, "wwwroot", "css", "site.css"));

        var response = await http.SendAsync(Get("/css/site.css", encoding));

        Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var body = await response.Content.ReadAsStreamAsync();
        await using Stream decoded = encoding == "br" ? new BrotliStream(body, CompressionMode.Decompress) : new GZipStream(body, CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        await decoded.CopyToAsync(bytes);
        Assert.Equal(original, bytes.ToArray());
        Assert.True(response.Content.Headers.ContentLength is null || response.Content.Headers.ContentLength < original.Length);
    }

    [Theory]
    [InlineData("https://localhost", "/Admin/Account/Login")]
    [InlineData("https://localhost", "/access/not-a-real-token")]
    [InlineData("https://localhost", "/Admin/Nowhere")]
    [InlineData("http://localhost", "/Admin/Account/Login")]
    public async Task Page_AcceptEncoding_NotCompressedWhileItsStylesheetIs(string baseAddress, string path)
    {
        await using var portal = new PortalFactory();
        var http = Client(portal, baseAddress);

        var page = await http.SendAsync(Get(path, "br, gzip"));
        var stylesheet = await http.SendAsync(Get("/css/site.css", "br, gzip"));

        // Pages carry the antiforgery token or a credential link's token: compressed over HTTPS they would be open to BREACH.
        Assert.Empty(page.Content.Headers.ContentEncoding);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync());
        Assert.Equal(["br"], stylesheet.Content.Headers.ContentEncoding);
    }

    private static HttpClient Client(PortalFactory portal, string baseAddress) =>
        portal.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(baseAddress), AllowAutoRedirect = false });

    private static HttpRequestMessage Get(string path, string acceptEncoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var encoding in acceptEncoding.Split(',', StringSplitOptions.TrimEntries))
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        return request;
    }
}
