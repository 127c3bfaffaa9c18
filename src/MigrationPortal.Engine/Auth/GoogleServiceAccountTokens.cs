using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Util;

namespace MigrationPortal.Engine.Auth;

/// <summary>
/// A Google Workspace service account with domain-wide delegation for the Gmail scope: the JSON key Google gives when
/// the key is created (client_email, private_key, private_key_id, token_uri).
/// </summary>
public sealed record GoogleServiceAccountSettings(string ServiceAccountKeyJson)
{
    public const string DefaultScope = "https://mail.google.com/";

    public string Scope { get; init; } = DefaultScope;

    /// <summary>Where the signed assertion is exchanged for a token; null: the key's token_uri.</summary>
    public Uri? TokenUrl { get; init; }

    // A record prints every property: settings logged by mistake must not print the private key.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Scope = ").Append(Scope).Append(", TokenUrl = ").Append(TokenUrl);
        return true;
    }
}

/// <summary>
/// Google Workspace tokens: per mailbox, the JWT bearer grant of a service account with that mailbox as the subject
/// (domain-wide delegation), through Google.Apis.Auth's <see cref="ServiceAccountCredential"/>. Each mailbox's
/// credential is kept, so its token is reused until Google.Apis.Auth's own window before expiry (it refreshes 6 minutes
/// before, and stops handing out a token 5 minutes before); credentials idle longer than a token lives are dropped
/// once more than <see cref="MaxCachedMailboxes"/> are held, so a portal migrating thousands of mailboxes keeps only the
/// ones in use.
/// </summary>
public sealed class GoogleServiceAccountTokens : IAccessTokenSource, IDisposable
{
    public const int MaxCachedMailboxes = 1024;

    // Google's access tokens live an hour: a credential unused for longer holds nothing worth keeping.
    private static readonly TimeSpan IdleLimit = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, Entry> _credentials = new(StringComparer.OrdinalIgnoreCase);
    private readonly GoogleServiceAccountSettings _settings;
    private readonly TimeProvider _time;
    private readonly IClock _clock;
    private readonly RSA _key;
    private readonly string _clientEmail;
    private readonly string? _keyId;
    private readonly string _tokenUrl;
    private readonly HttpMessageHandler _handler;
    private readonly GoogleAuthShared.SharedHandlerFactory _httpFactory;

    /// <param name="handler">Makes the handler the token requests go through (<see cref="TokenEndpointHttp.Handler"/> by default).</param>
    /// <param name="time">The clock the JWTs' iat/exp and the tokens' expiry are reckoned by.</param>
    /// <exception cref="ArgumentException">The key is not a service account key.</exception>
    public GoogleServiceAccountTokens(GoogleServiceAccountSettings settings, Func<HttpMessageHandler>? handler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _time = time ?? TimeProvider.System;
        _clock = new GoogleAuthShared.TimeProviderClock(_time);
        (_clientEmail, _keyId, var privateKey, var tokenUri) = ReadKey(settings.ServiceAccountKeyJson);
        _tokenUrl = settings.TokenUrl?.ToString() ?? tokenUri
            ?? throw new ArgumentException("The service account key has no token_uri; give the token URL.", nameof(settings));
        _key = RSA.Create();
        try
        {
            _key.ImportFromPem(privateKey);
        }
        catch (ArgumentException e)
        {
            _key.Dispose();
            throw new ArgumentException("The service account key's private_key is not a PEM RSA private key.", nameof(settings), e);
        }
        _handler = (handler ?? (() => TokenEndpointHttp.Handler()))();
        _httpFactory = new GoogleAuthShared.SharedHandlerFactory(_handler);
    }

    public async ValueTask<AccessToken> GetAsync(string mailbox, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mailbox);
        var entry = _credentials.GetOrAdd(mailbox.Trim(), static (subject, self) => self.Create(subject), this);
        entry.LastUsed = _time.GetUtcNow();
        Trim();
        try
        {
            var token = await entry.Credential.GetAccessTokenForRequestAsync(authUri: null, ct);
            var issued = entry.Credential.Token;
            // The token handed out is the credential's current one; its expiry is reckoned from when it was received.
            var expires = issued?.ExpiresInSeconds is { } seconds
                ? new DateTimeOffset(DateTime.SpecifyKind(issued.IssuedUtc, DateTimeKind.Utc)).AddSeconds(seconds)
                : _time.GetUtcNow();
            return new AccessToken(token, expires);
        }
        catch (TokenResponseException e)
        {
            throw GoogleAuthShared.Refused(e, Host, $"{mailbox} to the service account {_clientEmail}");
        }
        catch (Exception e) when (GoogleAuthShared.IsUnreachable(e, ct))
        {
            throw GoogleAuthShared.Unreachable(e, Host, mailbox);
        }
    }

    private string Host => Uri.TryCreate(_tokenUrl, UriKind.Absolute, out var url) ? url.Authority : _tokenUrl;

    private Entry Create(string mailbox) => new(new ServiceAccountCredential(new ServiceAccountCredential.Initializer(_clientEmail, _tokenUrl)
    {
        User = mailbox,
        Scopes = [_settings.Scope],
        KeyId = _keyId,
        Key = _key,
        Clock = _clock,
        HttpClientFactory = _httpFactory,
    }));

    private void Trim()
    {
        if (_credentials.Count <= MaxCachedMailboxes) return;
        var now = _time.GetUtcNow();
        foreach (var (mailbox, entry) in _credentials)
            if (now - entry.LastUsed > IdleLimit)
                _credentials.TryRemove(mailbox, out _);
        // All in use within the hour (a very busy portal): the older half goes; those mailboxes sign a new assertion.
        if (_credentials.Count > MaxCachedMailboxes)
            foreach (var (mailbox, _) in _credentials.OrderBy(c => c.Value.LastUsed).Take(_credentials.Count / 2).ToList())
                _credentials.TryRemove(mailbox, out _);
    }

    private static (string ClientEmail, string? KeyId, string PrivateKey, string? TokenUri) ReadKey(string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        try
        {
            using var key = JsonDocument.Parse(json);
            var root = key.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "type") is { } type && type != "service_account")
                throw new ArgumentException("The key is not a service account key (its type is not service_account).", nameof(json));
            return (Text(root, "client_email") ?? throw new ArgumentException("The service account key has no client_email.", nameof(json)),
                Text(root, "private_key_id"),
                Text(root, "private_key") ?? throw new ArgumentException("The service account key has no private_key.", nameof(json)),
                Text(root, "token_uri"));
        }
        catch (JsonException e)
        {
            // JsonException's message quotes no content, only where parsing stopped.
            throw new ArgumentException($"The service account key is not JSON: {e.Message}", nameof(json), e);
        }

        static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
    }

    public void Dispose()
    {
        _credentials.Clear();
        _handler.Dispose();
        _key.Dispose();
    }

    private sealed class Entry(ServiceAccountCredential credential)
    {
        public ServiceAccountCredential Credential { get; } = credential;
        public DateTimeOffset LastUsed { get; set; }
    }
}
