using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.FileProviders;

namespace MigrationPortal.Web.Startup;

/// <summary>
/// The files under wwwroot: cached for a year when the URL carries the version query that asp-append-version adds
/// (a changed file gets a new URL), revalidated otherwise, and sent compressed (brotli or gzip).
/// </summary>
public static class StaticAssets
{
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";

    public static IServiceCollection AddStaticAssetCompression(this IServiceCollection services) =>
        services.AddResponseCompression(options =>
        {
            // Safe over HTTPS only because nothing but static files reaches the middleware: see UsePortalStaticFiles.
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = ResponseCompressionDefaults.MimeTypes.Append("image/svg+xml");
        });

    public static IApplicationBuilder UsePortalStaticFiles(this IApplicationBuilder app)
    {
        var webRoot = app.ApplicationServices.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider;
        // BREACH: an HTTPS response that is compressed and carries a secret next to text an attacker can influence
        // leaks that secret through its length. The pages carry secrets (the antiforgery token; a credential link's
        // token in the secure form's address), so pages are never compressed; only the files under wwwroot are,
        // which carry none. Keep it so: do not move UseResponseCompression out of this branch.
        app.UseWhen(context => IsStaticFile(context, webRoot), branch => branch.UseResponseCompression());
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl =
                file.Context.Request.Query.ContainsKey("v") ? ImmutableCacheControl : "no-cache",
        });
        return app;
    }

    private static bool IsStaticFile(HttpContext context, IFileProvider webRoot) =>
        (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        && context.Request.Path.Value is { Length: > 1 } path
        && webRoot.GetFileInfo(path) is { Exists: true, IsDirectory: false };
}
