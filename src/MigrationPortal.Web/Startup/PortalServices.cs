using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Email;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Verification;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Forms;
using MigrationPortal.Web.Localization;
using MigrationPortal.Web.Mailboxes;
using MigrationPortal.Web.Mailboxes.BulkAdd;
using MigrationPortal.Web.Outbox;
using MigrationPortal.Web.Projects.Discovery;
using MigrationPortal.Web.Projects.SignIn;
using MigrationPortal.Web.Security;
using MigrationPortal.Web.Security.Admins;
using MigrationPortal.Web.Security.TwoFactor;
using MigrationPortal.Web.Worker;

namespace MigrationPortal.Web.Startup;

/// <summary>The composition root, kept out of Program.cs so tests and the host build the same app.</summary>
public static partial class PortalServices
{
    public const string AdminPolicy = "Admin";
    public const string AdminRole = "Admin";

    private static readonly string[] TokenBearingLogCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Mvc.RazorPages",
        "Microsoft.AspNetCore.Mvc.Infrastructure",
        "Microsoft.AspNetCore.Antiforgery",
    ];

    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // First, so the database is migrated before anything else (the DataProtection key ring) reads it.
        services.AddHostedService<DatabaseInitializer>();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<PortalOptions>().Bind(configuration.GetSection(PortalOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<PublicBaseUrlCheck>();
        services.AddOptions<LicenseOptions>().Bind(configuration.GetSection(LicenseOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var portal = sp.GetRequiredService<IOptions<PortalOptions>>().Value;
            var licenses = sp.GetRequiredService<IOptions<LicenseOptions>>().Value;
            return new MailboxRules(
                new LicensePolicy(licenses.MaxPassesPerLicense, licenses.MaxGigabytesPerLicense * 1024L * 1024 * 1024),
                portal.CredentialLinkLifetime) { ResendInterval = portal.ResendInterval };
        });

        // These categories write request paths and route values, and a credential link's path is its token.
        foreach (var category in TokenBearingLogCategories)
            builder.Logging.AddFilter(category, LogLevel.Warning);

        services.AddPortalDatabase(configuration, builder.Environment.ContentRootPath);
        var dataProtection = services.AddDataProtection()
            .SetApplicationName("MigrationPortal")
            .PersistKeysToDbContext<PortalDbContext>();
        if (KeyRingCertificate.Load(configuration) is { } certificate)
            dataProtection.ProtectKeysWithCertificate(certificate);
        services.AddSingleton<IPasswordProtector, DataProtectionPasswordProtector>();
        services.AddScoped<KeyRingCheck>();
        services.AddSingleton<AuditLog>();

        services.AddIdentity<IdentityUser, IdentityRole>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Password.RequiredLength = 10;
            })
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddUserStore<ProtectedTokenUserStore>()
            .AddDefaultTokenProviders();
        services.Configure<DataProtectionTokenProviderOptions>(options => options.TokenLifespan = AdminAccounts.LinkLifetime);
        services.AddScoped<AdminAccounts>();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/Admin/Account/Login";
            cookie.LogoutPath = "/Admin/Account/Logout";
            cookie.AccessDeniedPath = "/Admin/Account/Login";
            cookie.SlidingExpiration = true;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.Events.OnValidatePrincipal = AdminSessionValidator.ValidateAsync;
        });
        // Named per request: __Host-… over HTTPS, plain over HTTP (HostPrefixedCookieBuilder); Secure whenever the request
        // is HTTPS (behind a TLS proxy, with forwarded headers enabled), so plain HTTP still works for a local try.
        services.AddHttpContextAccessor();
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme).Configure<IHttpContextAccessor>((options, requests) =>
            options.Cookie = PortalCookie(requests, "MigrationPortal.Admin", SameSiteMode.Strict));
        // Set when the password was right and the second factor is still to come; lasts five minutes (Identity's default).
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.TwoFactorUserIdScheme).Configure<IHttpContextAccessor>((options, requests) =>
            options.Cookie = PortalCookie(requests, "MigrationPortal.TwoFactor", SameSiteMode.Strict));
        services.AddOptions<AntiforgeryOptions>().Configure<IHttpContextAccessor>((options, requests) =>
            options.Cookie = PortalCookie(requests, "MigrationPortal.Antiforgery", SameSiteMode.Strict));
        services.AddOptions<CookieTempDataProviderOptions>().Configure<IHttpContextAccessor>((options, requests) =>
            options.Cookie = PortalCookie(requests, "MigrationPortal.TempData", SameSiteMode.Lax));
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireRole(AdminRole));

        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeAreaFolder("Admin", "/", AdminPolicy);
            options.Conventions.AllowAnonymousToAreaPage("Admin", "/Account/Login");
            options.Conventions.AllowAnonymousToAreaPage("Admin", "/Account/LoginTwoFactor");
            options.Conventions.AllowAnonymousToAreaPage("Admin", "/Account/SetPassword");
            options.Conventions.AddAreaFolderApplicationModelConvention("Admin", "/", page =>
            {
                if (!page.ViewEnginePath.StartsWith("/Account/", StringComparison.Ordinal)) page.Filters.Add(new TwoFactorRequirementFilter());
            });
        }).AddMvcOptions(options =>
        {
            options.Filters.Add(new MissingHandlerFilter());
            options.ModelBinderProviders.Insert(0, new CheckboxBinderProvider());
        });
        services.AddAntiforgery();
        services.AddPublicLocalization();

        services.AddStaticAssetCompression();
        services.AddPortalEmail(configuration, builder.Environment.ContentRootPath);
        services.AddScoped<MailboxActionService>();
        services.AddScoped<ActionReportStore>();
        services.AddSingleton<BulkAddPayload>();
        services.AddScoped<BulkAddService>();
        services.AddSingleton<CredentialCheckSignal>();
        services.AddOptions<CredentialCheckOptions>().Bind(configuration.GetSection(CredentialCheckOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<CredentialCheckService>();
        services.AddSingleton<BackgroundStartSignal>();
        services.AddOptions<BulkActionOptions>().Bind(configuration.GetSection(BulkActionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<BackgroundStartService>();
        services.AddSingleton<MigrationSignal>();
        services.AddSingleton<PassStopSignal>();
        services.AddOptions<MigrationOptions>().Bind(configuration.GetSection(MigrationOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<OrphanedStopSweep>();
        services.AddHostedService<MigrationWorker>();
        services.AddHostedService<MigrationWakeListener>();
        services.AddSingleton<CredentialLinks>();
        services.AddScoped<CredentialAccessService>();
        services.AddScoped<UserSignInService>();
        services.AddSingleton<IImapConnector>(new ImapConnector());
        services.AddSingleton<IImapCredentialVerifier>(sp => new ImapCredentialVerifier(sp.GetRequiredService<IImapConnector>()));
        services.AddServerSettingsDiscovery(configuration);
        services.AddSideSignIn(configuration);
        // Read when first asked for (at start-up, by UsePortal), once every configuration source is in place.
        services.AddSingleton(sp => ProxyTrust.Read(sp.GetRequiredService<IConfiguration>()));
        services.AddOptions<ForwardedHeadersOptions>().PostConfigure<ProxyTrust>((options, proxies) => proxies.Apply(options));
        services.AddAccessRateLimits(configuration);
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxQueue>();
        services.AddSingleton<UserEmails>();
        services.AddSingleton<ReminderSignal>();
        services.AddHostedService<ReminderService>();
        services.AddScoped<UserStatusService>();
        services.AddOutboxDelivery(configuration);
        return builder;
    }

    public static WebApplication UsePortal(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<ProxyTrust>();
        if (proxies.Enabled)
        {
            // With the framework's switch on, its start-up filter has put the middleware first already (with our trust).
            if (!proxies.SwitchedOnByFramework)
                app.UseForwardedHeaders();
            LogProxies(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ProxyTrust>(), proxies.Describe());
        }
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error");
            app.UseHsts();
        }
        app.UseSecurityHeaders();
        app.UseAllowedHttpMethods();
        // Only fills responses that have no body: the access page's own neutral 410 page is left as it is.
        app.UseStatusCodePagesWithReExecute("/Error/{0}");
        app.UsePortalStaticFiles();
        app.UseAccessBodyLimit();
        app.UsePublicLocalization();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapRazorPages();
        return app;
    }

    private static HostPrefixedCookieBuilder PortalCookie(IHttpContextAccessor requests, string name, SameSiteMode sameSite) =>
        new(requests, name)
        {
            HttpOnly = true,
            SameSite = sameSite,
            SecurePolicy = CookieSecurePolicy.SameAsRequest,
            IsEssential = true,
        };

    [LoggerMessage(Level = LogLevel.Information, Message = "Client addresses and schemes are taken from X-Forwarded-For and X-Forwarded-Proto sent by: {Proxies}")]
    private static partial void LogProxies(ILogger logger, string proxies);
}
