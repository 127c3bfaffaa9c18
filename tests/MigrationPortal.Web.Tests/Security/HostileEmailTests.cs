using System.Net;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Email;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// The credential request email is the one message a mailbox user ever gets, and its project name and addresses are
/// typed by admins (or come from a Bulk Add file): markup must reach the user's mail program as text, and the email
/// must go to exactly the address the admin sees on the dashboard, once.
/// </summary>
public sealed class HostileEmailTests
{
    private const string Markup = "<script>alert('x')</script>";

    [Fact]
    public async Task CredentialRequestEmail_ProjectNameWithMarkupAddressWithRightToLeftOverride_EncodedInHtmlSubjectUnchangedOneRecipient()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var projectName = $"{Markup} Acme \u202Eevil";
        var project = await admin.CreateProjectAsync(projectName);
        // Displayed as "invoiceexe.jpg@…" by a mail program that honours the override; it is a valid address all the same.
        const string address = "invoice\u202Egpj.exe@example.org";
        // Posted past the browser, whose email field refuses the override: the portal itself accepts the address.
        await PostPastTheBrowserAsync(admin.Client, $"/Admin/Mailboxes/Create?projectId={project}", new()
        {
            ["Input.SourceEmail"] = address, ["Input.SourceUnknown"] = "true",
            ["Input.DestinationEmail"] = address, ["Input.DestinationUnknown"] = "true",
            ["Input.NotifyEmail"] = address,
        });
        var mailbox = await portal.WithDbAsync(db => db.Mailboxes.Where(m => m.ProjectId == project).Select(m => m.Id).SingleAsync());

        await admin.ActAsync(project, "Start", [mailbox]);

        var message = await EmailToAsync(portal, address);
        Assert.Equal(CredentialRequestEmail.Subject, message.Subject);
        Assert.Equal(address, Assert.Single(message.To.Mailboxes).Address);
        Assert.Empty(message.Cc);
        Assert.Empty(message.Bcc);
        var html = message.HtmlBody!;
        Assert.DoesNotContain(Markup, html);
        Assert.Contains(WebUtility.HtmlEncode(Markup), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(address, html);
        // The plain text part is text: the name as the admin typed it.
        Assert.Contains(projectName, message.TextBody);
    }

    [Theory]
    [InlineData("=HYPERLINK('http://evil.example/')@example.org")]
    [InlineData("user(comment@example.org")]
    [InlineData("user.@example.org")]
    public async Task Start_NotifyAddressAMailProgramReadsOtherwise_RefusedSayingWhyAndNothingSent(string notify)
    {
        // The portal accepts these addresses (one @, no space, no angle bracket); MimeKit reads the first as
        // "=HYPERLINK@example.org" (the parentheses are a comment) and the others as no address at all.
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, null);
        // Refused where it is typed, saying why, and nothing saved.
        var edit = await PostPastTheBrowserAsync(admin.Client, $"/Admin/Mailboxes/Edit/{mailbox}", new() { ["Input.NotifyEmail"] = notify });
        Assert.Contains($"The notification address “{notify}” cannot be emailed as it is written", edit.Body!.TextContent);
        Assert.Equal("ada@example.org", await portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Where(m => m.Id == mailbox).Select(m => m.NotifyEmail).SingleAsync()));
        // A row saved before that check existed: Start refuses it too.
        await portal.WithDbAsync(db => db.Mailboxes.Where(m => m.Id == mailbox).ExecuteUpdateAsync(u => u.SetProperty(m => m.NotifyEmail, notify)));

        var dashboard = await admin.ActAsync(project, "Start", [mailbox]);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        Assert.Contains($"The notification address “{notify}” cannot be emailed as it is written", AdminPages.Report(dashboard));
        Assert.Equal("Not Started", AdminPages.StatusOf(dashboard, mailbox));
        await Task.Delay(1000);
        Assert.Empty(Directory.Exists(portal.PickupDirectory) ? Directory.GetFiles(portal.PickupDirectory, "*.eml") : []);
    }

    /// <summary>
    /// Posts the page's form as it stands with one field changed, past the browser's own check of an email field (a
    /// script would, and as the portal's own rules allow).
    /// </summary>
    private static async Task<AngleSharp.Html.Dom.IHtmlDocument> PostPastTheBrowserAsync(HtmlClient client, string page, Dictionary<string, string> fields)
    {
        var document = await client.GetAsync(page);
        var form = AdminPages.Form(document);
        var values = form.Elements.OfType<AngleSharp.Html.Dom.IHtmlInputElement>()
            .Where(i => i.Name is { Length: > 0 } && !fields.ContainsKey(i.Name!) && (i.Type is not ("checkbox" or "radio") || i.IsChecked))
            .Select(i => KeyValuePair.Create(i.Name!, i.Value))
            .Concat(fields)
            .ToList();
        using var response = await client.Http.PostAsync(page, new FormUrlEncodedContent(values));
        Assert.True((int)response.StatusCode < 500, $"{page}: {(int)response.StatusCode}");
        return await HtmlClient.OpenHtmlAsync(await response.Content.ReadAsStringAsync());
    }

    private static async Task<MimeMessage> EmailToAsync(PortalFactory portal, string to)
    {
        for (var tries = 0; ; tries++)
        {
            var message = Directory.Exists(portal.PickupDirectory)
                ? Directory.GetFiles(portal.PickupDirectory, "*.eml").Select(f => MimeMessage.Load(f)).FirstOrDefault(m => m.To.Mailboxes.Any(a => a.Address == to))
                : null;
            if (message is not null) return message;
            Assert.True(tries < 200, $"No email to {to} within 20 s.");
            await Task.Delay(100);
        }
    }
}
