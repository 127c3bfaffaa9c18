namespace MigrationPortal.Web.Security;

/// <summary>
/// A cookie that, on a request that came over HTTPS, is named with the <c>__Host-</c> prefix and is Secure with
/// <c>Path=/</c> and no Domain: a browser then takes it only from this very host over HTTPS, so neither a sibling
/// subdomain nor a plain-HTTP answer (a network attacker's) can set or overwrite it. Over plain HTTP (the quick start
/// on http://localhost) it keeps its plain name. The name is asked for per request by everything that reads or writes
/// the cookie (the sign-in handler, antiforgery, TempData), which is why this is a builder and not a fixed setting:
/// ASP.NET Core's cookie options take one name for all requests.
/// </summary>
public sealed class HostPrefixedCookieBuilder(IHttpContextAccessor requests, string name) : CookieBuilder
{
    public const string Prefix = "__Host-";

    public override string? Name
    {
        get => requests.HttpContext?.Request.IsHttps == true ? Prefix + name : name;
        set { } // fixed at construction; the framework's defaults must not rename it
    }

    public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
    {
        var options = base.Build(context, expiresFrom);
        if (context.Request.IsHttps)
        {
            options.Secure = true;
            options.Path = "/";
            options.Domain = null;
        }
        return options;
    }
}
