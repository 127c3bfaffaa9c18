using MigrationPortal.Fixtures.Dovecot;
using Xunit;

namespace MigrationPortal.Fixtures.OAuth;

/// <summary>
/// The local OAuth server and two Dovecot servers that accept its tokens (and passwords, for seeding and reading):
/// <see cref="Google"/> opens a mailbox only for a token whose subject it is (username_format %Lu), as Gmail does;
/// <see cref="Microsoft"/> opens every mailbox of a domain for an app token at that domain (%Ld), as Exchange Online
/// does for an app granted IMAP.AccessAsApp. The OAuth server starts first: Dovecot's config names its introspection URL.
/// </summary>
public sealed class OAuthMailServers : IAsyncLifetime
{
    public LocalOAuthServer OAuth { get; } = new();
    public DovecotServer Google { get; private set; } = null!;
    public DovecotServer Microsoft { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await OAuth.InitializeAsync();
        Google = new DovecotServer { OAuth2 = new OAuth2Passdb(OAuth.IntrospectionUrl, OAuth2Passdb.SubjectOnly) };
        Microsoft = new DovecotServer { OAuth2 = new OAuth2Passdb(OAuth.IntrospectionUrl, OAuth2Passdb.WholeDomain), SentFolder = "Sent Items" };
        await Task.WhenAll(Google.InitializeAsync(), Microsoft.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        if (Google is not null) await Google.DisposeAsync();
        if (Microsoft is not null) await Microsoft.DisposeAsync();
        await OAuth.DisposeAsync();
    }
}
