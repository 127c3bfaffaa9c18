using MailKit.Security;

namespace MigrationPortal.Email;

internal static class SmtpSecurity
{
    public static SecureSocketOptions ToSocketOptions(SmtpOptions options) => options switch
    {
        { UseTls: false } => SecureSocketOptions.None,
        { Port: 465 } => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTls,
    };

    public static string Describe(SmtpOptions options) => ToSocketOptions(options) switch
    {
        SecureSocketOptions.None => "no TLS",
        SecureSocketOptions.SslOnConnect => "implicit TLS",
        _ => "STARTTLS",
    };
}
