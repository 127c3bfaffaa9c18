using System.Text;

namespace MigrationPortal.Web.Projects.SignIn;

/// <summary>
/// The Exchange Online PowerShell lines that let a Microsoft 365 app open a project's mailboxes: the app's service
/// principal registered with Exchange, then FullAccess on each mailbox (Microsoft's "Authenticate an IMAP, POP or SMTP
/// connection using OAuth", app-only section).
/// </summary>
public static class ExchangePowerShell
{
    public static string Header(string tenantId, string clientId) => $"""
        # Run in PowerShell with the ExchangeOnlineManagement module (Install-Module ExchangeOnlineManagement).
        Connect-ExchangeOnline -Organization {Quote(tenantId)}
        # The Object ID of the app's service principal: Microsoft Entra admin center > Enterprise applications > the app > Object ID
        # (not the app registration's Object ID).
        $objectId = '<Object ID of the enterprise application>'
        New-ServicePrincipal -AppId {Quote(clientId)} -ObjectId $objectId -DisplayName 'MigrationPortal'
        # FullAccess for the app on each mailbox of the project:

        """;

    public static string Grant(string mailbox) => $"Add-MailboxPermission -Identity {Quote(mailbox)} -User $objectId -AccessRights FullAccess\n";

    public static string Script(string tenantId, string clientId, IEnumerable<string> mailboxes)
    {
        var script = new StringBuilder(Header(tenantId, clientId));
        foreach (var mailbox in mailboxes)
            script.Append(Grant(mailbox));
        return script.ToString();
    }

    /// <summary>
    /// A single-quoted PowerShell string: nothing inside is expanded ($, backtick). PowerShell also ends a single-quoted
    /// string at the typographic quotes ‘ ’ ‚ ‛, so each of those is doubled like ' is.
    /// </summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B') quoted.Append(c);
            // A line break would end the command; addresses never hold one, and what cannot be typed is dropped.
            if (char.IsControl(c)) continue;
            quoted.Append(c);
        }
        return quoted.Append('\'').ToString();
    }
}
