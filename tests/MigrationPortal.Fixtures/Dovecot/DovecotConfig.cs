namespace MigrationPortal.Fixtures.Dovecot;

// dovecot.conf for one private instance. Setting names are Dovecot 2.3's (Debian 12 ships 2.3.19);
// 2.4 renamed several (disable_plaintext_auth became auth_allow_cleartext, mail_location became
// mail_driver/mail_path, passdb args changed), so a 2.4 host needs a second template.
internal static class DovecotConfig
{
    /// <param name="tlsPort">With TLS: the implicit-TLS (imaps) port; STARTTLS is then offered on <paramref name="port"/>.
    /// Null: ssl = no, so the server offers no STARTTLS and has no imaps listener.</param>
    /// <param name="oauth2">Also accept OAuth 2.0 tokens (XOAUTH2, OAUTHBEARER), checked by this passdb; null: passwords only.</param>
    public static string Render(string instanceName, InstanceDirectory dir, int port, uint mailUid, string sentFolder = "Sent", char separator = '/',
        int? tlsPort = null, OAuth2Passdb? oauth2 = null) => $$"""
        # Private test instance written by MigrationPortal.Fixtures.Dovecot.DovecotServer; loopback only.
        instance_name = {{instanceName}}
        # DovecotServer checks for its own name in the greeting, not for any IMAP server on the port.
        login_greeting = {{instanceName}} ready.
        base_dir = {{dir.Run}}
        state_dir = {{dir.State}}
        log_path = {{dir.Log}}
        listen = 127.0.0.1
        protocols = imap
        {{Ssl(dir, tlsPort)}}
        disable_plaintext_auth = no
        auth_mechanisms = plain login{{(oauth2 is null ? "" : " xoauth2 oauthbearer")}}
        # A failed login is still answered after ~0.5 s: Dovecot checks its failure queue twice a second.
        auth_failure_delay = 0
        first_valid_uid = {{mailUid}}
        default_internal_user = dovecot
        default_login_user = dovenull
        mail_location = maildir:~/Maildir
        mail_privileged_group =
        namespace inbox {
          inbox = yes
          separator = {{separator}}
          prefix =
          mailbox Drafts {
            special_use = \Drafts
          }
          mailbox "{{sentFolder}}" {
            special_use = \Sent
          }
          mailbox Junk {
            special_use = \Junk
          }
          mailbox Trash {
            special_use = \Trash
          }
        }
        # One passwd-file per user. Dovecot stats a passwd-file at most once per second, so a user appended
        # to a shared file right after another login could stay unknown for up to a second; a file that did
        # not exist at the previous lookup is always read.
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u {{dir.Users}}/%u
        {{(oauth2 is null ? "" : "  mechanisms = plain login")}}
        }
        {{(oauth2 is null ? "" : OAuth2PassdbBlock(dir))}}
        userdb {
          driver = passwd-file
          args = username_format=%u {{dir.Users}}/%u
        }
        protocol imap {
          mail_max_userip_connections = 100
        }
        service imap-login {
          inet_listener imap {
            address = 127.0.0.1
            port = {{port}}
          }
          inet_listener imaps {
            address = 127.0.0.1
            port = {{tlsPort ?? 0}}
          }
        }
        # Without the penalty socket Dovecot does not add its growing per-IP delay (2, 4, 8, 15 s) after
        # each failed login: every test connects from 127.0.0.1 and several of them fail on purpose.
        service anvil {
          unix_listener anvil-auth-penalty {
            mode = 0
          }
        }

        """;

    // Tokens are never checked against the passwd-files, and passwords never against the OAuth server: each passdb
    // answers only its own mechanisms. The userdb stays the passwd-files, so a token opens only a user that exists.
    private static string OAuth2PassdbBlock(InstanceDirectory dir) => $$"""
        passdb {
          driver = oauth2
          mechanisms = xoauth2 oauthbearer
          args = {{dir.OAuth2Config}}
        }
        """;

    /// <summary>dovecot-oauth2.conf.ext: every token is introspected (RFC 7662, POST token=…) at each login.</summary>
    public static string RenderOAuth2(OAuth2Passdb oauth2) => $"""
        # Written by MigrationPortal.Fixtures.Dovecot.DovecotServer for the test OAuth server.
        introspection_mode = post
        introspection_url = {oauth2.IntrospectionUrl}
        force_introspection = yes
        # Dovecot 2.3 keeps a JSON true as the text "true".
        active_attribute = active
        active_value = true
        username_attribute = email
        username_format = {oauth2.UsernameFormat}
        timeout_msecs = 10000
        """;

    // The certificate and key are read by Dovecot's config process, which runs as root: the key can stay 0600.
    // disable_plaintext_auth = no still lets the plain port log in without STARTTLS, as the fixture's own helpers do.
    private static string Ssl(InstanceDirectory dir, int? tlsPort) => tlsPort is null
        ? "ssl = no"
        : $"""
          ssl = yes
          ssl_cert = <{dir.Certificate}
          ssl_key = <{dir.CertificateKey}
          ssl_min_protocol = TLSv1.2
          """;
}
