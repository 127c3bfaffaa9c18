using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace MigrationPortal.Email;

public static class EmailServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="SmtpOptions"/> from the <c>Smtp</c> section and registers <see cref="IEmailSender"/>: SMTP when
    /// Smtp:Host is set, otherwise .eml files in Smtp:PickupDirectory (relative to <paramref name="contentRootPath"/>).
    /// </summary>
    public static IServiceCollection AddPortalEmail(this IServiceCollection services, IConfiguration configuration, string contentRootPath)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentRootPath);

        services.AddLogging();
        services.AddOptions<SmtpOptions>()
            .Bind(configuration.GetSection(SmtpOptions.SectionName))
            .Validate(o => o.Port is > 0 and <= 65535, "Smtp:Port must be between 1 and 65535.")
            .Validate(o => MailboxAddress.TryParse(o.From, out _), "Smtp:From must be a mail address, e.g. \"MigrationPortal <no-reply@example.org>\".")
            .Validate(o => o.HasHost || !string.IsNullOrWhiteSpace(o.PickupDirectory), "Smtp:PickupDirectory must be set when Smtp:Host is empty.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // Decided when first resolved rather than now, so configuration a test host adds later still counts.
        services.AddSingleton(sp => new EmailDeliveryDescription(sp.GetRequiredService<IOptions<SmtpOptions>>(), contentRootPath));
        services.AddSingleton<SmtpEmailSender>();
        services.AddSingleton(sp => new PickupDirectoryEmailSender(
            sp.GetRequiredService<EmailDeliveryDescription>().PickupDirectory,
            sp.GetRequiredService<IOptions<SmtpOptions>>().Value.From,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<EmailDeliveryDescription>().UsesSmtp
            ? sp.GetRequiredService<SmtpEmailSender>()
            : sp.GetRequiredService<PickupDirectoryEmailSender>());

        return services;
    }
}
