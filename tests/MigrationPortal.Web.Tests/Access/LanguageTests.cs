using System.Globalization;
using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// The user's pages in the browser's language (English and German), the switch between them, and English wherever the
/// browser asks for nothing or for a language the portal does not have. The admin area is never translated.
/// </summary>
public sealed class LanguageTests(MailServers servers) : IClassFixture<MailServers>
{
    [Fact]
    public async Task Form_BrowserAsksForGerman_FormValidationAndNeutralPageAreGerman()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        s.User.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("de-DE,de;q=0.9,en;q=0.5");
        var link = await s.StartAndReadLinkAsync();
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));

        var form = await s.OpenAsync(link);

        Assert.Equal("de", form.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Ihr Postfachumzug", form.QuerySelector("main h1")!.TextContent);
        var expiry = request.ExpiresAt.UtcDateTime.ToString("f", CultureInfo.GetCultureInfo("de"));
        Assert.Contains($"Geben Sie die Zugangsdaten Ihres Quellpostfachs ein. Dieser Link gilt bis {expiry} UTC.", form.Body!.TextContent);
        Assert.Equal("Anmeldename des Quellpostfachs", form.QuerySelector("label[for='Input_SourceLogin']")!.TextContent);

        var invalid = await s.User.SubmitAsync((IHtmlFormElement)form.QuerySelector("main form")!, "Absenden",
            new Dictionary<string, string> { ["Input.SourceLogin"] = "", ["Input.SourcePassword"] = "" });

        Assert.Equal("de", invalid.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Geben Sie den Anmeldenamen Ihres Quellpostfachs ein.", invalid.QuerySelector("#source-login-error")!.TextContent);
        Assert.Equal("Geben Sie das Passwort Ihres Quellpostfachs ein.", invalid.QuerySelector("#source-password-error")!.TextContent);
        Assert.Equal("source-password-error", invalid.QuerySelector("#Input_SourcePassword")!.GetAttribute("aria-describedby"));
        Assert.Equal("true", invalid.QuerySelector("#Input_SourcePassword")!.GetAttribute("aria-invalid"));

        var tooLong = await s.User.SubmitAsync((IHtmlFormElement)invalid.QuerySelector("main form")!, "Absenden",
            new Dictionary<string, string> { ["Input.SourceLogin"] = s.Email, ["Input.SourcePassword"] = new string('x', 1025) });
        Assert.Equal("Das Passwort ist zu lang.", tooLong.QuerySelector("#source-password-error")!.TextContent);

        var neutral = await s.User.GetAsync("/access/not-a-real-token");
        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Equal("de", neutral.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Link nicht gültig", neutral.QuerySelector("main h1")!.TextContent);
        Assert.Equal("Dieser Link ist nicht mehr gültig. Bitten Sie Ihren Administrator um einen neuen.", neutral.QuerySelector("#neutral")!.TextContent);

        var result = await s.SubmitAsync(link, sourcePassword: "wrong " + s.SourcePassword, submitButton: "Absenden");
        Assert.Contains("Die Zugangsdaten Ihres Quellpostfachs wurden vom Quell-Mailserver nicht akzeptiert.", result.Body!.TextContent);
        Assert.Contains("Ihr Administrator wurde benachrichtigt", result.Body.TextContent);
    }

    [Fact]
    public async Task StatusPage_BrowserAsksForGerman_ThankYouAndStatusInGerman()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        s.User.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("de");
        var link = await s.StartAndReadLinkAsync();

        var thanks = await s.SubmitAsync(link, submitButton: "Absenden");
        var status = await s.OpenAsync(link);

        Assert.Equal("Den Fortschritt Ihres Umzugs verfolgen", thanks.QuerySelector("#status-link")!.TextContent);
        Assert.Equal("de", status.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Beginnt in Kürze", status.QuerySelector("main h1")!.TextContent);
        Assert.Equal("Ihre Zugangsdaten wurden akzeptiert. Das Kopieren Ihrer E-Mails beginnt in Kürze.", status.QuerySelector("#status")!.TextContent);
        Assert.Contains("Diese Seite aktualisiert sich alle 30 Sekunden.", status.Body!.TextContent);
    }

    [Fact]
    public async Task Switch_EnglishChosenOverGermanBrowser_SetsTheCookieAndReturnsToTheSameLinkUnused()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        s.User.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("de");
        var link = await s.StartAndReadLinkAsync();
        var token = link.AbsolutePath["/access/".Length..];
        var german = await s.OpenAsync(link);
        var toEnglish = german.QuerySelector("header a[lang='en']")!.GetAttribute("href");
        Assert.Equal("?lang=en", toEnglish);
        // The page never writes its own address: the switch's links are relative, and the form posts to the page itself.
        Assert.DoesNotContain(token, german.Body!.OuterHtml);

        var switched = await s.User.Http.GetAsync(link.AbsolutePath + toEnglish);

        Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
        Assert.Equal(link.AbsolutePath, switched.Headers.Location!.OriginalString);
        var cookie = Assert.Single(switched.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("MigrationPortal.Culture=c%3Den%7Cuic%3Den;", cookie);
        Assert.DoesNotContain(token, cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        var english = await s.OpenAsync(link);
        Assert.Equal("en", english.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Your mailbox migration", english.QuerySelector("main h1")!.TextContent);

        // Switching back and forth neither used nor changed the link: it still takes the credentials.
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(CredentialRequestState.Pending, request.State);
        Assert.Equal(0, request.Attempts);
        var result = await s.SubmitAsync(link);
        Assert.Contains("Thank you — your migration has started.", result.Body!.TextContent);
        Assert.Equal(MailboxStatus.Submitted, (await s.MailboxAsync()).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fr-FR,fr;q=0.9")]
    [InlineData("xx")]
    public async Task PublicPages_NoOrUnsupportedLanguageAsked_English(string? acceptLanguage)
    {
        await using var portal = new PortalFactory();
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (acceptLanguage is not null) client.DefaultRequestHeaders.Add("Accept-Language", acceptLanguage);
        var html = new HtmlClient(client, ownsClient: false);

        var neutral = await html.GetAsync("/access/not-a-real-token");
        var notFound = await html.GetAsync("/acces/mistyped");

        Assert.Equal("en", neutral.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Link not valid", neutral.QuerySelector("main h1")!.TextContent);
        Assert.Equal("en", notFound.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Page not found", notFound.QuerySelector("main h1")!.TextContent);
    }

    [Fact]
    public async Task ErrorPages_GermanBrowser_PublicOneGermanAdminOneEnglish()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        admin.Client.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("de");

        var publicPage = await admin.Client.GetAsync("/acces/mistyped");
        var adminPage = await admin.Client.GetAsync("/Admin/Projcts");
        var adminSwitch = await admin.Client.GetAsync("/Admin/Projects?lang=de");

        Assert.Equal("de", publicPage.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Seite nicht gefunden", publicPage.QuerySelector("main h1")!.TextContent);
        Assert.Equal("en", adminPage.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Page not found", adminPage.QuerySelector("main h1")!.TextContent);
        // The switch is the public pages' only: in the admin area the query is just ignored.
        Assert.Equal("/Admin/Projects", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Equal("Projects", adminSwitch.QuerySelector("main h1")!.TextContent);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/%5Cevil.example/x")]
    public async Task Switch_PathAnotherSiteToABrowser_GoesHomeInstead(string path)
    {
        await using var portal = new PortalFactory();
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("http://localhost" + path + "?lang=de")));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }
}
