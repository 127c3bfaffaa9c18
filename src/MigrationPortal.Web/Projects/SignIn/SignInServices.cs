namespace MigrationPortal.Web.Projects.SignIn;

public static class SignInServices
{
    /// <summary>How project sides sign in: token sources for Microsoft 365 and Google Workspace, their options checked at start-up.</summary>
    public static IServiceCollection AddSideSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModernAuthOptions>().Bind(configuration.GetSection(ModernAuthOptions.Section))
            .Validate(o => o.TrustedCertificateSha256.All(Core.Projects.ImapEndpoint.IsCertificateSha256),
                "ModernAuth:TrustedCertificateSha256: each entry must be a SHA-256 fingerprint (64 hexadecimal characters).")
            .ValidateOnStart();
        services.AddSingleton<SideLogins>();
        return services;
    }
}
