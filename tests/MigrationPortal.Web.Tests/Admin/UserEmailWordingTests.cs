using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Email;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>A project's own wording of its users' emails, edited with a preview, and the email the user then gets (real SMTP).</summary>
public sealed class UserEmailWordingTests(MailServers servers) : IClassFixture<MailServers>
{
    private const string Subject = "Your move to {{destination}} ({{project}})";
    private const string Body = "Hello {{user}},\n\nplease enter your {{asked}} password for {{project}} here:\n{{link}}\n\nIt works until {{expiry}}.";

    [Fact]
    public async Task SavedWording_StartSendsIt_ValuesEncodedInHtml_LinkWorks()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        await s.Admin.RenameProjectAsync(s.ProjectId, "<i>Acme</i> & Co");

        var saved = await s.Admin.EmailWordingAsync(s.ProjectId, "Request", "Save", Subject, Body);
        Assert.Contains("Saved: emails from now on use this wording.", saved.QuerySelector("#Request")!.TextContent);
        var link = await s.StartAndReadLinkAsync();

        var email = servers.Smtp.Messages.Last(m => m.EnvelopeRecipients.Contains(s.Email)).Message;
        Assert.Equal($"Your move to {s.Email} (<i>Acme</i> & Co)", email.Subject);
        Assert.Contains($"Hello {s.Email},", email.TextBody);
        Assert.Contains("please enter your source password for <i>Acme</i> & Co here:", email.TextBody);
        Assert.Contains("&lt;i&gt;Acme&lt;/i&gt; &amp; Co", email.HtmlBody);
        Assert.DoesNotContain("<i>Acme</i>", email.HtmlBody);
        Assert.Contains($"<a href=\"{link.AbsoluteUri}\">", email.HtmlBody);
        Assert.NotNull((await s.OpenAsync(link)).QuerySelector("main form"));
    }

    [Fact]
    public async Task Preview_ShowsTheEmailWithExampleValues_AndSavesNothing()
    {
        await using var s = await AccessScenario.CreateAsync(servers);

        var page = await s.Admin.EmailWordingAsync(s.ProjectId, "Request", "Preview", Subject, Body + "\n\n<b>not bold</b>");

        var preview = page.QuerySelector("#Request .email-preview")!;
        Assert.Equal("Your move to user@destination.example (Acme move)", preview.QuerySelector(".preview-subject")!.TextContent);
        Assert.Contains("please enter your source password for Acme move here:", preview.QuerySelector(".preview-html")!.TextContent);
        Assert.NotNull(preview.QuerySelector(".preview-html a[href$='/access/EXAMPLE-LINK']"));
        Assert.Null(preview.QuerySelector(".preview-html b")); // the admin's markup is text
        Assert.Contains("<b>not bold</b>", preview.QuerySelector(".preview-html")!.TextContent);
        Assert.Equal(0, await s.Portal.WithDbAsync(db => db.EmailTemplates.CountAsync()));
    }

    [Fact]
    public async Task UnknownPlaceholderOrNoLink_ClearMessage_NothingSaved_DefaultStillSent()
    {
        await using var s = await AccessScenario.CreateAsync(servers);

        var page = await s.Admin.EmailWordingAsync(s.ProjectId, "Request", "Save", "Hi {{firstname}}", "No link here.");

        var errors = page.QuerySelector("#Request .errors")!.TextContent;
        Assert.Contains("{{firstname}} is not a placeholder of this email", errors);
        Assert.Contains("must contain {{link}}", errors);
        Assert.Equal("Hi {{firstname}}", ((IHtmlInputElement)page.QuerySelector("#Request-subject")!).Value); // what was typed stays
        Assert.Equal(0, await s.Portal.WithDbAsync(db => db.EmailTemplates.CountAsync()));
        await s.StartAndReadLinkAsync();
        Assert.Equal(CredentialRequestEmail.Subject, servers.Smtp.Messages.Last(m => m.EnvelopeRecipients.Contains(s.Email)).Message.Subject);
    }

    [Fact]
    public async Task UseTheDefault_AfterACustomWording_TheDefaultIsSentAgain()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        await s.Admin.EmailWordingAsync(s.ProjectId, "Request", "Save", Subject, Body);

        var page = await s.Admin.EmailWordingAsync(s.ProjectId, "Request", "Use the default", Subject, Body);

        Assert.Contains("The default wording is used from now on.", page.QuerySelector("#Request")!.TextContent);
        Assert.Equal(CredentialRequestEmail.Subject, ((IHtmlInputElement)page.QuerySelector("#Request-subject")!).Value);
        await s.StartAndReadLinkAsync();
        Assert.Equal(CredentialRequestEmail.Subject, servers.Smtp.Messages.Last(m => m.EnvelopeRecipients.Contains(s.Email)).Message.Subject);
    }

    [Fact]
    public async Task GermanUsers_RequestEmailInGerman()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var emails = await s.Admin.Client.GetAsync($"/Admin/Projects/Emails/{s.ProjectId}");
        var languageForm = (IHtmlFormElement)emails.QuerySelector("select#language")!.Closest("form")!;
        var page = await s.Admin.Client.SubmitAsync(languageForm, "Save language", new Dictionary<string, string> { ["language"] = "de" });
        Assert.Equal("AKTION ERFORDERLICH: Angaben für Ihre Migration benötigt", ((IHtmlInputElement)page.QuerySelector("#Request-subject")!).Value);

        var link = await s.StartAndReadLinkAsync();

        var email = servers.Smtp.Messages.Last(m => m.EnvelopeRecipients.Contains(s.Email)).Message;
        Assert.Equal("AKTION ERFORDERLICH: Angaben für Ihre Migration benötigt", email.Subject);
        Assert.Contains("Geben Sie sie auf dieser sicheren Seite ein:", email.TextBody);
        Assert.Contains(link.AbsoluteUri, email.TextBody);
    }
}
