using System.Security.Cryptography;
using System.Text.Json;
using MigrationPortal.Core;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>
/// What the admin needs to see of a Google service account's JSON key, read when it is uploaded so that a wrong file
/// is refused on the form (the engine reads the key itself, through Google.Apis.Auth, when it asks for tokens).
/// </summary>
public sealed record ServiceAccountKey(string ClientEmail, string? ClientId, string? TokenUri)
{
    /// <summary>Google's keys are about 2.3 KB; anything far larger is not one.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <exception cref="DomainValidationException">Not a service account key, with what is wrong.</exception>
    public static ServiceAccountKey Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException)
        {
            throw new DomainValidationException("The key file is not JSON: download the service account's key as JSON from the Google Cloud console (IAM & Admin > Service accounts > Keys).");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "type") != "service_account")
                throw new DomainValidationException("The key file is not a service account key (its \"type\" is not \"service_account\").");
            var email = Text(root, "client_email") ?? throw new DomainValidationException("The key file has no client_email.");
            var pem = Text(root, "private_key") ?? throw new DomainValidationException("The key file has no private_key.");
            try
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                throw new DomainValidationException("The key file's private_key is not an RSA private key in PEM form.");
            }
            return new ServiceAccountKey(email, Text(root, "client_id"), Text(root, "token_uri"));
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
