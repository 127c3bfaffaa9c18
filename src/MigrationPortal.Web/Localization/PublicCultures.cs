using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Localization;

namespace MigrationPortal.Web.Localization;

/// <summary>
/// The languages of the pages a mailbox's user sees: the browser's Accept-Language, or what the user picked with the
/// layout's switch (a cookie), English when neither names a supported one. The admin area is left out entirely: its
/// requests keep the process's culture, as before, so its pages, numbers and dates do not change with a browser.
/// </summary>
public static class PublicCultures
{
    /// <summary>The first is the default. Adding a language: its code here and a Resources/PublicText.{code}.resx.</summary>
    public static readonly IReadOnlyList<string> Supported = ["en", "de"];

    /// <summary>The query parameter of the switch's links (<c>?lang=de</c>).</summary>
    public const string SwitchParameter = "lang";

    public const string CookieName = "MigrationPortal.Culture";

    /// <summary>The name each language has in its own language, as the switch shows it.</summary>
    public static string NativeName(string culture) =>
        CultureInfo.GetCultureInfo(culture) is var info ? info.TextInfo.ToTitleCase(info.NativeName) : culture;

    public static IServiceCollection AddPublicLocalization(this IServiceCollection services)
    {
        // No ResourcesPath: a localizer finds the .resx named after its type's full name, PublicText.de.resx beside PublicText.cs.
        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(options =>
        {
            var cultures = Supported.Select(CultureInfo.GetCultureInfo).ToList();
            options.DefaultRequestCulture = new RequestCulture(Supported[0]);
            options.SupportedCultures = cultures;
            options.SupportedUICultures = cultures;
            // The user's pick first, then the browser's; never the query string, which is the switch's and nothing else.
            options.RequestCultureProviders =
            [
                new CookieRequestCultureProvider { CookieName = CookieName },
                new AcceptLanguageHeaderRequestCultureProvider(),
            ];
        });
        return services;
    }

    /// <summary>Sets the culture for every request but the admin area's, and answers the language switch.</summary>
    public static IApplicationBuilder UsePublicLocalization(this IApplicationBuilder app) =>
        app.UseWhen(context => !IsAdminArea(context), branch =>
        {
            branch.Use(SwitchAsync);
            branch.UseRequestLocalization();
        });

    /// <summary>
    /// A GET of any public page with <c>?lang=xx</c> only stores the choice and sends the browser back to the same
    /// path without the query: the secure form's page is never run by it (the link is neither used nor changed), and
    /// the links are relative (<c>href="?lang=de"</c>), so a page never writes its own address, the token, anywhere.
    /// </summary>
    private static Task SwitchAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || request.Query[SwitchParameter] is not [{ } wanted]
            || Supported.FirstOrDefault(c => string.Equals(c, wanted, StringComparison.OrdinalIgnoreCase)) is not { } culture)
            return next();

        context.Response.Cookies.Append(CookieName, CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)), new CookieOptions
        {
            Path = "/",
            HttpOnly = true,
            Secure = request.IsHttps,
            SameSite = SameSiteMode.Lax,
            IsEssential = true,
            MaxAge = TimeSpan.FromDays(365),
        });
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect(LocalTarget(request.PathBase + request.Path));
        return Task.CompletedTask;
    }

    /// <summary>The same path, unless it would leave the site: <c>//host/…</c> and <c>/\host/…</c> are other sites to a browser.</summary>
    private static string LocalTarget(PathString path) =>
        path.Value is { Length: > 0 } value && value[0] == '/' && (value.Length == 1 || (value[1] != '/' && value[1] != '\\'))
            ? path.ToUriComponent()
            : "/";

    /// <summary>An admin page, or an error page shown for one (re-executed with its own path; the original is in a feature).</summary>
    public static bool IsAdminArea(HttpContext context) =>
        (context.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalPath
            ?? context.Features.Get<IExceptionHandlerPathFeature>()?.Path
            ?? context.Request.Path.Value)
        is { } path && new PathString(path).StartsWithSegments("/Admin", StringComparison.OrdinalIgnoreCase);
}
