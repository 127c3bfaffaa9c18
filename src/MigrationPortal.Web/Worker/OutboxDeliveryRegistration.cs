namespace MigrationPortal.Web.Worker;

public static class OutboxDeliveryRegistration
{
    /// <summary>Registers the background sender that delivers the outbox (options from the <c>Outbox</c> section).</summary>
    public static IServiceCollection AddOutboxDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OutboxOptions>()
            .Bind(configuration.GetSection(OutboxOptions.Section))
            // The upper bound keeps the interval within what a semaphore wait accepts.
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.PollInterval <= TimeSpan.FromDays(1), "Outbox:PollInterval must be more than zero and at most one day.")
            .Validate(o => o.RetryBaseDelay > TimeSpan.Zero, "Outbox:RetryBaseDelay must be more than zero.")
            .Validate(o => o.MaxRetryDelay >= o.RetryBaseDelay, "Outbox:MaxRetryDelay must be at least Outbox:RetryBaseDelay.")
            .Validate(o => o.MaxAttempts is >= 1 and <= 1000, "Outbox:MaxAttempts must be between 1 and 1000.")
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(10), "Outbox:Lease must be at least 10 seconds (a send may take half of it).")
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Outbox:BatchSize must be between 1 and 1000.")
            .ValidateOnStart();
        services.AddHostedService<OutboxDeliveryService>();
        return services;
    }
}
