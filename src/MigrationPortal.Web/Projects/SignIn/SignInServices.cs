namespace MigrationPortal.Web.Projects.SignIn;

public static class SignInServices
{
    /// <summary>How project sides sign in: token sources for Microsoft 365 and Google Workspace, their options checked at start-up.</summary>
    public static IServiceCollection AddSideSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModernAuthOptions>().Bind(configuration.GetSection(ModernAuthOptions.Section))
            .Validate(o => o.TrustedCertificateSha256.All(IsFingerprint),
                "ModernAuth:TrustedCertificateSha256: each entry must be a SHA-256 fingerprint (64 hexadecimal characters).")
            .ValidateOnStart();
        services.AddSingleton<SideLogins>();
        return services;
    }

    private static bool IsFingerprint(string value)
    {
        try
        {
            return Core.Projects.ImapEndpoint.NormaliseCertificateSha256(value) is not null;
        }
        catch (Core.DomainValidationException)
        {
            return false;
        }
    }
}
