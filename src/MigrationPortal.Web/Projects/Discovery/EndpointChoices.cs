using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Web.Projects.Discovery;

/// <summary>A proposal that connected, as the admin chose it for one side of the project form.</summary>
public sealed record ChosenEndpoint(string Side, string Host, int Port, TlsMode Security, string Origin);

/// <summary>
/// The "Use these settings" button carries its proposal protected (DataProtection, its own purpose) and dated: only an
/// endpoint this portal found and connected to, in the last 30 minutes, fills the form through it. (Typing any host
/// into the fields stays possible, as before.)
/// </summary>
public sealed class EndpointChoices(IDataProtectionProvider protection, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);
    private readonly IDataProtector _protector = protection.CreateProtector("MigrationPortal.Discovery.ChosenEndpoint.v1");

    public string Protect(ChosenEndpoint choice) =>
        _protector.Protect(JsonSerializer.Serialize(new Payload(choice.Side, choice.Host, choice.Port, choice.Security, choice.Origin, time.GetUtcNow())));

    /// <returns>The choice; null when the value was not made by this portal, or is too old.</returns>
    public ChosenEndpoint? Unprotect(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(_protector.Unprotect(value));
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            return null;
        }
        if (payload is null || time.GetUtcNow() - payload.FoundAt > Lifetime || payload.FoundAt > time.GetUtcNow() + TimeSpan.FromMinutes(1))
            return null;
        return new ChosenEndpoint(payload.Side, payload.Host, payload.Port, payload.Security, payload.Origin);
    }

    private sealed record Payload(string Side, string Host, int Port, TlsMode Security, string Origin, DateTimeOffset FoundAt);
}
