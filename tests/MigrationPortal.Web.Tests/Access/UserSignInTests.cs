using System.Net;
using System.Security.Cryptography;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Fixtures.OAuth;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// "Sign in with Google / Microsoft" on the secure form, through the portal's pages, real MSAL and Google.Apis.Auth, the
/// local OAuth server (authorization code with PKCE) and Dovecot servers that accept only its tokens. The browser is an
/// HTTP client with the portal's cookies; the provider's sign-in page is the local server's authorize endpoint, which
/// signs in whoever the test names (<see cref="LocalOAuthServer.NextSignIn"/>).
/// </summary>
public sealed class UserSignInTests(ModernAuthServers servers) : IClassFixture<ModernAuthServers>
{
    private const string Tenant = "3c1e7d2a-9b4f-4c6e-8a21-5f0d9e8c7b6a";
    private const string MicrosoftSecret = "Ms~user-app-secret.for-tests-2";
    private const string GoogleSecret = "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ts";
    private static readonly Uri RedirectUri = new(AccessScenario.PublicBaseUrl + "/access/signed-in");

    private sealed record Setup(PortalFactory Portal, AdminPages Admin, int Project, string Domain, string MicrosoftClient, string GoogleClient);

    /// <param name="sourcePasswords">The source asks the user's password instead of Google's sign-in.</param>
    private async Task<Setup> SetUpAsync(bool sourcePasswords = false, IReadOnlyDictionary<string, string?>? more = null)
    {
        var domain = $"d{Guid.NewGuid():N}"[..10] + ".test";
        var microsoftClient = Guid.NewGuid().ToString();
        var googleClient = $"{Guid.NewGuid():N}.apps.googleusercontent.com";
        servers.OAuth.RegisterClient(microsoftClient, MicrosoftSecret, RedirectUri);
        servers.OAuth.RegisterClient(googleClient, GoogleSecret, RedirectUri);
        var settings = new Dictionary<string, string?>
        {
            ["Smtp:Host"] = servers.Smtp.Host,
            ["Smtp:Port"] = servers.Smtp.Port.ToString(),
            ["Portal:PublicBaseUrl"] = AccessScenario.PublicBaseUrl,
            ["ModernAuth:TrustedCertificateSha256:0"] = servers.OAuth.CertificateSha256,
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
            ["Migration:RetryDelay"] = "00:00:00.100",
            ["Outbox:PollInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>()) settings[key] = value;
        var portal = new PortalFactory(settings);
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        await admin.AddLicensesAsync(10);
        var project = await admin.CreateProjectAsync("Users sign in",
            (servers.Mail.Google.Host, servers.Mail.Google.Port, "None"), (servers.Mail.Microsoft.Host, servers.Mail.Microsoft.Port, "None"));
        if (!sourcePasswords)
            AssertSaved(await admin.SignInAsync(project, "source", "GoogleUser", new Dictionary<string, string>
            {
                ["Input.GoogleClientId"] = googleClient,
                ["Input.GoogleClientSecret"] = GoogleSecret,
                ["Input.AuthorizationUrl"] = new Uri(servers.OAuth.BaseUrl, "authorize").ToString(),
                ["Input.TokenUrl"] = servers.OAuth.GoogleTokenUrl.ToString(),
            }));
        AssertSaved(await admin.SignInAsync(project, "destination", "Microsoft365User", new Dictionary<string, string>
        {
            ["Input.TenantId"] = Tenant,
            ["Input.ClientId"] = microsoftClient,
            ["Input.ClientSecret"] = MicrosoftSecret,
            ["Input.AuthorityHost"] = servers.OAuth.BaseUrl.ToString(),
        }));
        return new Setup(portal, admin, project, domain, microsoftClient, googleClient);
    }

    private static void AssertSaved(IHtmlDocument page) =>
        Assert.True(page.QuerySelector("ul.errors") is null, page.QuerySelector("ul.errors")?.TextContent);

    private Task<(string Email, string Password)> UserAsync(Setup s, int messages) => servers.SeedUserAsync(s.Domain, messages);

    /// <summary>The user's browser: the portal's cookies, redirects followed by hand (the provider is another server).</summary>
    private static HtmlClient Browser(Setup s) => new(s.Portal.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>
    /// Presses a side's sign-in button, lets the provider sign in <paramref name="account"/> (null: the user cancels), and
    /// brings the provider's answer back to the portal in the same browser.
    /// </summary>
    /// <returns>The portal's answer to the provider's redirect, and where it leads (the form, when it redirects there).</returns>
    private async Task<(HttpResponseMessage Answer, IHtmlDocument Page)> SignInAsync(HtmlClient browser, IHtmlDocument form, string side, string? account)
    {
        var button = form.QuerySelector($"#{side}-sign-in-button") ?? throw new InvalidOperationException($"No {side} sign-in button.");
        var start = await browser.Http.GetAsync(button.GetAttribute("href"));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var back = await ProviderAnswerAsync(start.Headers.Location!, account);
        return await ReturnAsync(browser, back);
    }

    private async Task<Uri> ProviderAnswerAsync(Uri authorize, string? account)
    {
        Assert.Equal(servers.OAuth.BaseUrl.Authority, authorize.Authority);
        servers.OAuth.NextSignIn = account;
        using var provider = new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate?.GetCertHashString(HashAlgorithmName.SHA256) == servers.OAuth.CertificateSha256,
        });
        var answer = await provider.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        var back = answer.Headers.Location!;
        Assert.StartsWith(RedirectUri.ToString(), back.ToString(), StringComparison.Ordinal);
        return back;
    }

    private static async Task<(HttpResponseMessage Answer, IHtmlDocument Page)> ReturnAsync(HtmlClient browser, Uri back)
    {
        var page = await browser.GetAsync(back.PathAndQuery);
        var answer = browser.LastResponse!;
        if (answer.StatusCode == HttpStatusCode.Redirect)
            page = await browser.GetAsync(answer.Headers.Location!.OriginalString);
        return (answer, page);
    }

    [Fact]
    public async Task BothSidesSignIn_GoogleThenMicrosoft_Submitted_Copied_AdminSeesWho_NoTokenOrSecretAnywhere()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        var (email, password) = await UserAsync(s, 12);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);
        var started = await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        Assert.Equal("Waiting for User", AdminPages.StatusOf(started, mailbox)); // the users are asked: they sign in
        var link = await servers.ReadLinkAsync(email);

        using var browser = Browser(s);
        var form = await browser.GetAsync(link.PathAndQuery);
        Assert.Equal("Sign in with Google", form.QuerySelector("#source-sign-in-button")!.TextContent.Trim());
        Assert.Equal("Sign in with Microsoft", form.QuerySelector("#destination-sign-in-button")!.TextContent.Trim());
        Assert.Null(form.QuerySelector("input[type='password']"));

        var (first, afterSource) = await SignInAsync(browser, form, "source", email);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode); // back to the form: the destination is still to sign in
        Assert.Contains($"Signed in as {email}", afterSource.QuerySelector("#source-signed-in")!.TextContent);
        Assert.NotNull(afterSource.QuerySelector("#destination-sign-in-button"));
        Assert.Equal("Waiting for User", AdminPages.StatusOf(await s.Admin.Client.GetAsync($"/Admin/Projects/Dashboard/{s.Project}"), mailbox));

        var (_, thanks) = await SignInAsync(browser, afterSource, "destination", email);
        Assert.Contains("your migration has started", thanks.QuerySelector("#result")!.TextContent);

        var done = await s.Admin.WaitForDashboardAsync(s.Project, d => AdminPages.StatusOf(d, mailbox) == "Completed", s.Portal.LogLines);
        var copied = await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password);
        Assert.Equal(12, copied.MessageCount);
        Assert.Equal((await MailboxContent.ReadAsync(servers.Mail.Google, email, password)).Folders["INBOX"], copied.Folders["INBOX"]);
        Assert.Contains($"Source: signed in with Google as {email}; Destination: signed in with Microsoft as {email}",
            done.QuerySelector("small.signed-in")!.TextContent);
        var details = await s.Admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        Assert.Contains($"Signed in with Google as {email} (source)", details.Body!.TextContent);

        // The tokens the sign-ins and the pass used, and the apps' secrets, are nowhere the portal writes or shows.
        var tokens = servers.OAuth.IssuedTokens.Where(t => t.Subject == email).Select(t => t.Value).ToList();
        Assert.True(tokens.Count >= 2, "Both sides' tokens were issued.");
        var pages = new[] { done.DocumentElement.OuterHtml, details.DocumentElement.OuterHtml, thanks.DocumentElement.OuterHtml,
            (await s.Admin.Client.GetAsync($"/Admin/Projects/SignIn/{s.Project}")).DocumentElement.OuterHtml };
        await ModernAuthServers.AssertNowhereAsync(s.Portal, tokens.Append(MicrosoftSecret).Append(GoogleSecret), pages);
        Assert.DoesNotContain(servers.Smtp.Messages, m => tokens.Any(t => m.Message.ToString().Contains(t, StringComparison.Ordinal)));

        // Used once: the provider's answer brought back again finds the link used (the status page, not a second sign-in).
        var again = await browser.GetAsync(link.PathAndQuery);
        Assert.Null(again.QuerySelector("#source-sign-in-button"));
    }

    [Fact]
    public async Task AnotherAccountSignsIn_Refused_NothingKept_ThenTheRightOne_Completes()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        var (email, password) = await UserAsync(s, 3);
        var (other, _) = await UserAsync(s, 0);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);
        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        var link = await servers.ReadLinkAsync(email);
        using var browser = Browser(s);
        var form = await browser.GetAsync(link.PathAndQuery);

        var (answer, refused) = await SignInAsync(browser, form, "source", other);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains($"You signed in as {other}, but this link is for the mailbox {email}", refused.QuerySelector("#result")!.TextContent);
        var stored = await s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
        Assert.False(stored.Source.IsKnown);
        Assert.Equal("Waiting for User", AdminPages.StatusOf(await s.Admin.Client.GetAsync($"/Admin/Projects/Dashboard/{s.Project}"), mailbox));

        // The way back leads to the same form, and the right account completes it.
        var back = await browser.GetAsync(refused.QuerySelector("#back-link")!.GetAttribute("href")!);
        var (_, afterSource) = await SignInAsync(browser, back, "source", email.ToUpperInvariant()); // the provider's case is not the mailbox's
        var (_, thanks) = await SignInAsync(browser, afterSource, "destination", email);
        Assert.Contains("your migration has started", thanks.QuerySelector("#result")!.TextContent);
        await s.Admin.WaitForDashboardAsync(s.Project, d => AdminPages.StatusOf(d, mailbox) == "Completed", s.Portal.LogLines);
        Assert.Equal(3, (await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password)).MessageCount);
    }

    [Fact]
    public async Task CancelledAtTheProvider_OrAnsweredInAnotherBrowser_OrForgedState_NothingUsedUp()
    {
        var s = await SetUpAsync();
        await using var _ = s.Portal;
        var (email, _) = await UserAsync(s, 1);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null);
        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        var link = await servers.ReadLinkAsync(email);
        using var browser = Browser(s);
        var form = await browser.GetAsync(link.PathAndQuery);

        // The user cancels at the provider: its words are shown and the form is one click away.
        var (_, cancelled) = await SignInAsync(browser, form, "source", account: null);
        Assert.Contains("did not finish", cancelled.QuerySelector("#result")!.TextContent);
        Assert.Contains("The user cancelled the sign-in.", cancelled.QuerySelector("#provider-words")!.TextContent);

        // An answer brought to another browser (no cookie of the one that began it) is not taken.
        var start = await browser.Http.GetAsync(form.QuerySelector("#source-sign-in-button")!.GetAttribute("href"));
        var back = await ProviderAnswerAsync(start.Headers.Location!, email);
        using (var elsewhere = Browser(s))
        {
            var (_, refused) = await ReturnAsync(elsewhere, back);
            Assert.Contains("Finish the sign-in in the browser where you began it", refused.QuerySelector("#provider-words")!.TextContent);
        }
        // A state that is not the portal's: the neutral page.
        var forged = await browser.GetAsync("/access/signed-in?code=abc&state=not-a-state");
        Assert.Equal(HttpStatusCode.Gone, browser.LastResponse!.StatusCode);
        Assert.NotNull(forged.QuerySelector("#neutral"));

        var stored = await s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Include(m => m.CredentialRequests).SingleAsync(m => m.Id == mailbox));
        Assert.False(stored.Source.IsKnown);
        Assert.Equal(Core.CredentialRequests.CredentialRequestState.Pending, stored.CredentialRequests.Single().State);
        Assert.NotNull((await browser.GetAsync(link.PathAndQuery)).QuerySelector("#source-sign-in-button"));
    }

    [Fact]
    public async Task SourcePassword_DestinationSignIn_SubmitBeforeSigningIn_Refused_ThenBothAnswered_Completes()
    {
        var s = await SetUpAsync(sourcePasswords: true);
        await using var _ = s.Portal;
        var (email, password) = await UserAsync(s, 5);
        var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, null, null, login: email);
        await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
        var link = await servers.ReadLinkAsync(email);
        using var browser = Browser(s);
        var form = await browser.GetAsync(link.PathAndQuery);
        Assert.NotNull(form.QuerySelector("input[name='Input.SourcePassword']"));
        Assert.Null(form.QuerySelector("input[name='Input.DestinationPassword']"));

        var early = await browser.SubmitAsync((IHtmlFormElement)form.QuerySelector("main form")!, "Submit",
            new Dictionary<string, string> { ["Input.SourceLogin"] = email, ["Input.SourcePassword"] = password });
        Assert.Contains("Sign in with Microsoft for your destination mailbox first.", early.QuerySelector("#destination-sign-in-error")!.TextContent);
        Assert.Equal("Waiting for User", AdminPages.StatusOf(await s.Admin.Client.GetAsync($"/Admin/Projects/Dashboard/{s.Project}"), mailbox));

        var (_, signedIn) = await SignInAsync(browser, form, "destination", email);
        Assert.Contains($"Signed in as {email}", signedIn.QuerySelector("#destination-signed-in")!.TextContent);
        var thanks = await browser.SubmitAsync((IHtmlFormElement)signedIn.QuerySelector("main form")!, "Submit",
            new Dictionary<string, string> { ["Input.SourceLogin"] = email, ["Input.SourcePassword"] = password });
        Assert.Contains("your migration has started", thanks.QuerySelector("#result")!.TextContent);
        await s.Admin.WaitForDashboardAsync(s.Project, d => AdminPages.StatusOf(d, mailbox) == "Completed", s.Portal.LogLines);
        Assert.Equal(5, (await MailboxContent.ReadAsync(servers.Mail.Microsoft, email, password)).MessageCount);
    }

    [Fact]
    public async Task RenewedGrant_KeptOnTheMailbox_RevokedLater_FailsNamingTheSide_SaysToSignInAgain()
    {
        var s = await SetUpAsync(sourcePasswords: true);
        await using var _ = s.Portal;
        // Tokens that live less than MSAL's five-minute margin: every connection of the pass redeems the refresh token,
        // which Entra ID rotates.
        servers.OAuth.TokenLifetime = TimeSpan.FromMinutes(2);
        servers.OAuth.RotateRefreshTokens = true;
        try
        {
            var (email, password) = await UserAsync(s, 2);
            var mailbox = await s.Admin.AddMailboxAsync(s.Project, email, password, null, login: email);
            await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
            var link = await servers.ReadLinkAsync(email);
            using var browser = Browser(s);
            var (_, thanks) = await SignInAsync(browser, await browser.GetAsync(link.PathAndQuery), "destination", email);
            Assert.Contains("your migration has started", thanks.QuerySelector("#result")!.TextContent);
            var signedIn = await GrantAsync(s, mailbox);

            await s.Admin.WaitForDashboardAsync(s.Project, d => AdminPages.StatusOf(d, mailbox) == "Completed", s.Portal.LogLines);
            Assert.NotEqual(signedIn, await GrantAsync(s, mailbox));
            Assert.Contains(s.Portal.LogLines, l => l.Contains("renewed the user's grant; the new one is kept", StringComparison.Ordinal));

            // The user withdraws the app's access: the next pass fails naming the destination, in Microsoft's words.
            var accepted = AdminPages.Report(await s.Admin.WaitForReportAsync(await s.Admin.ActAsync(s.Project, "Verify Credentials", [mailbox])));
            Assert.Contains("Verify Credentials: applied to 1 mailbox", accepted);

            servers.OAuth.RevokeSignIn(s.MicrosoftClient, email);
            // Verify Credentials asks the provider for a token from the stored grant, and says which side and why.
            var verified = AdminPages.Report(await s.Admin.WaitForReportAsync(await s.Admin.ActAsync(s.Project, "Verify Credentials", [mailbox])));
            Assert.Contains("Destination sign-in refused", verified);
            Assert.Contains("AADSTS700082", verified);
            Assert.Contains("The user must sign in again", verified);

            await s.Admin.ActAsync(s.Project, "Start", [mailbox]);
            var failed = await s.Admin.WaitForDashboardAsync(s.Project, d => AdminPages.StatusOf(d, mailbox) == "Failed", s.Portal.LogLines);
            var reason = failed.QuerySelector($"tr[data-mailbox-id='{mailbox}']")!.TextContent;
            Assert.Contains("Destination sign-in refused", reason);
            Assert.Contains("AADSTS700082", reason);
            Assert.Contains("The user must sign in again", reason);
        }
        finally
        {
            servers.OAuth.TokenLifetime = TimeSpan.FromHours(1);
            servers.OAuth.RotateRefreshTokens = false;
        }
    }

    [Fact]
    public async Task ProvidersAnswers_FromOneClient_AreRateLimited_LikeSubmissions()
    {
        var s = await SetUpAsync(more: new Dictionary<string, string?> { ["Access:PerClientPermitLimit"] = "3" });
        await using var _ = s.Portal;
        using var browser = Browser(s);
        for (var i = 0; i < 3; i++)
        {
            await browser.GetAsync($"/access/signed-in?code=c{i}&state=forged-{i}");
            Assert.Equal(HttpStatusCode.Gone, browser.LastResponse!.StatusCode);
        }
        await browser.GetAsync("/access/signed-in?code=c4&state=forged-4");
        Assert.Equal(HttpStatusCode.TooManyRequests, browser.LastResponse!.StatusCode);
        Assert.NotNull(browser.LastResponse.Headers.RetryAfter);
    }

    private static Task<string?> GrantAsync(Setup s, int mailbox) =>
        s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Where(m => m.Id == mailbox).Select(m => m.Destination.ProtectedPassword).SingleAsync());
}
