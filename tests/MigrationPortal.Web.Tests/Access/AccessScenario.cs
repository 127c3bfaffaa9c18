using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// One mailbox whose user is asked for credentials: real Dovecot accounts on both sides, a portal of its own
/// (fresh SQLite file) sending through the real SMTP server, and the steps an admin and a user take.
/// </summary>
public sealed partial class AccessScenario : IAsyncDisposable
{
    public const string PublicBaseUrl = "https://migrate.example.test";

    private readonly MailServers _servers;
    private int _emailsSeen;

    private AccessScenario(MailServers servers, PortalFactory portal, string email)
    {
        _servers = servers;
        Portal = portal;
        Admin = AdminPages.Open(portal);
        User = new HtmlClient(portal.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true }));
        Email = email;
    }

    public PortalFactory Portal { get; }
    public AdminPages Admin { get; }

    /// <summary>The mailbox user's own browser: no admin cookie.</summary>
    public HtmlClient User { get; }

    public string Email { get; }
    public string SourcePassword { get; } = "Src pässwörd " + Guid.NewGuid().ToString("N")[..8];
    public string DestinationPassword { get; } = "Dst-Passw0rd-" + Guid.NewGuid().ToString("N")[..8];
    public int ProjectId { get; private set; }
    public int MailboxId { get; private set; }

    /// <param name="adminKnowsDestination">False: the user is asked for both sides.</param>
    public static async Task<AccessScenario> CreateAsync(MailServers servers, bool adminKnowsDestination = true,
        TimeProvider? clock = null, IReadOnlyDictionary<string, string?>? settings = null,
        (string Host, int Port)? sourceEndpoint = null)
    {
        var email = $"u{Guid.NewGuid():N}"[..12] + "@example.org";
        var all = new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Portal:PublicBaseUrl"] = PublicBaseUrl,
            ["Outbox:PollInterval"] = "00:00:00.500",
            ["Outbox:RetryBaseDelay"] = "00:00:00.200",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;

        var scenario = new AccessScenario(servers, new PortalFactory(all, clock), email);
        await scenario.SetUpAsync(adminKnowsDestination, sourceEndpoint);
        return scenario;
    }

    private async Task SetUpAsync(bool adminKnowsDestination, (string Host, int Port)? sourceEndpoint)
    {
        await _servers.Source.AddUserAsync(Email, SourcePassword);
        await _servers.Destination.AddUserAsync(Email, DestinationPassword);
        await Admin.LoginAsync();
        await Admin.AddLicensesAsync(5);
        var source = sourceEndpoint ?? (_servers.Source.Host, _servers.Source.Port);
        ProjectId = await Admin.CreateProjectAsync("Acme move", (source.Host, source.Port, "None"),
            (_servers.Destination.Host, _servers.Destination.Port, "None"));
        // The admin knows the login names, not the passwords; the form shows the known login prefilled.
        MailboxId = await Admin.AddMailboxAsync(ProjectId, Email, null, adminKnowsDestination ? DestinationPassword : null, login: Email);
    }

    public string SourceLogin => Email;

    public async Task<IHtmlDocument> PressAsync(string button, IReadOnlyDictionary<string, string>? fields = null) =>
        await Admin.ActAsync(ProjectId, button, [MailboxId], fields);

    /// <summary>Presses Start and returns the link of the email it sends.</summary>
    public async Task<Uri> StartAndReadLinkAsync()
    {
        await PressAsync("Start");
        var message = await NextEmailAsync();
        return LinkIn(message);
    }

    public async Task<MimeMessage> NextEmailAsync()
    {
        var seen = _emailsSeen;
        var received = await _servers.Smtp.WaitForMessageAsync(
            m => m.EnvelopeRecipients.Contains(Email) && _servers.Smtp.Messages.Count(x => x.EnvelopeRecipients.Contains(Email)) > seen,
            TimeSpan.FromSeconds(20));
        _emailsSeen++;
        return _servers.Smtp.Messages.Where(x => x.EnvelopeRecipients.Contains(Email)).ElementAt(seen).Message;
    }

    public static Uri LinkIn(MimeMessage message) =>
        new(LinkPattern().Match(message.TextBody ?? "").Value is { Length: > 0 } link ? link : throw new InvalidOperationException("No link in: " + message.TextBody));

    /// <summary>Opens the emailed link in the user's browser (the path only: the portal under test is not at the public address).</summary>
    public Task<IHtmlDocument> OpenAsync(Uri link) => User.GetAsync(link.PathAndQuery);

    /// <param name="submitButton">The button's text in the language the user's browser asks for.</param>
    public async Task<IHtmlDocument> SubmitAsync(Uri link, string? sourcePassword = null, string? destinationPassword = null, string? sourceLogin = null, string? destinationLogin = null,
        string submitButton = "Submit")
    {
        var page = await OpenAsync(link);
        var form = page.QuerySelector("main form") as IHtmlFormElement
            ?? throw new InvalidOperationException("The link shows no form: " + page.Body!.TextContent.Trim());
        var fields = new Dictionary<string, string>();
        if (form.Elements["Input.SourcePassword"] is not null)
        {
            fields["Input.SourceLogin"] = sourceLogin ?? SourceLogin;
            fields["Input.SourcePassword"] = sourcePassword ?? SourcePassword;
        }
        if (form.Elements["Input.DestinationPassword"] is not null)
        {
            fields["Input.DestinationLogin"] = destinationLogin ?? Email;
            fields["Input.DestinationPassword"] = destinationPassword ?? DestinationPassword;
        }
        return await User.SubmitAsync(form, submitButton, fields);
    }

    public Task<Mailbox> MailboxAsync() =>
        Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == MailboxId));

    public async ValueTask DisposeAsync()
    {
        User.Dispose();
        Admin.Client.Dispose();
        await Portal.DisposeAsync();
    }

    [GeneratedRegex(@"https?://\S+/access/[A-Za-z0-9_-]+")]
    private static partial Regex LinkPattern();
}
