using System.Text.RegularExpressions;
using MigrationPortal.Fixtures.Smtp;

namespace MigrationPortal.BrowserTests.Infrastructure;

/// <summary>The credential links the portal emailed, read from the real SMTP server.</summary>
public static partial class EmailedLinks
{
    /// <summary>The path of the link in the n-th email to this address (the portal under test is not at its public address).</summary>
    public static async Task<string> NthAsync(SmtpSink smtp, string email, int index)
    {
        await smtp.WaitForMessageAsync(m => smtp.Messages.Count(x => x.EnvelopeRecipients.Contains(email)) > index, TimeSpan.FromSeconds(20));
        var message = smtp.Messages.Where(x => x.EnvelopeRecipients.Contains(email)).ElementAt(index).Message;
        return new Uri(LinkPattern().Match(message.TextBody ?? "").Value).PathAndQuery;
    }

    [GeneratedRegex(@"https?://\S+/access/[A-Za-z0-9_-]+")]
    private static partial Regex LinkPattern();
}
