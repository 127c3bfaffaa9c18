using System.Text;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// After a whole run (an admin with two-factor sign-in, an invited admin, a user's link and submission, a wrong password
/// typed, a mailbox migrated to Completed on real servers), every secret that passed through the portal is searched for
/// where someone could read it later: the portal's log, the database as stored, every admin page and export, and every
/// email sent. The only place a secret may be is the one email that carries its own link.
/// </summary>
public sealed class SecretsSearchTests(MailServers servers) : IClassFixture<MailServers>
{
    [Fact]
    public async Task WholeRun_NoPasswordTokenOrTwoFactorSecretInLogsDatabasePagesExportsOrEmails()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Migration:Enabled"] = "true",
            ["Migration:Heartbeat"] = "00:00:00.200",
            ["Migration:PollInterval"] = "00:00:00.500",
        });
        var secrets = new Dictionary<string, string>
        {
            ["the user's source password"] = s.SourcePassword,
            ["the destination password the admin typed"] = s.DestinationPassword,
            ["the first admin's password"] = PortalFactory.AdminPassword,
        };

        // The admin turns on two-factor sign-in, and invites a second admin who chooses a password from the link.
        var (key, recoveryCodes) = await TwoFactorSignInTests.TurnOnAsync(s.Admin);
        secrets["the authenticator key"] = key.Replace(" ", "").ToUpperInvariant();
        secrets["the authenticator key as shown"] = key;
        foreach (var (code, i) in recoveryCodes.Select((c, i) => (c, i)))
            secrets[$"recovery code {i + 1}"] = code;
        const string invitedPassword = "Invited-Admin-Passw0rd-7";
        secrets["the invited admin's password"] = invitedPassword;
        var invite = await s.Admin.Client.GetAsync("/Admin/Admins");
        await s.Admin.Client.SubmitAsync((IHtmlFormElement)invite.QuerySelectorAll("main form").Last(), "Invite",
            new Dictionary<string, string> { ["Input.Email"] = "second.admin@example.org" });
        var inviteEmail = await servers.Smtp.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains("second.admin@example.org"), TimeSpan.FromSeconds(20));
        var inviteLink = new Uri(System.Text.RegularExpressions.Regex.Match(inviteEmail.Message.TextBody ?? "", @"\S+/Admin/Account/SetPassword\?\S+").Value);
        secrets["the invitation's code"] = inviteLink.Query.Split("code=")[1];
        using (var second = new AdminPages(new HtmlClient(s.Portal.CreateClient())))
        {
            var form = await second.Client.GetAsync(inviteLink.PathAndQuery);
            await second.Client.SubmitAsync(AdminPages.Form(form), "Set password",
                new Dictionary<string, string> { ["Input.Password"] = invitedPassword, ["Input.Confirm"] = invitedPassword });
            await second.LoginAsync("second.admin@example.org", invitedPassword);
            Assert.Equal("/Admin/Projects", second.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        }

        // A second mailbox whose user types a wrong password first: that guess is a secret too (it may be a real one).
        const string wrongGuess = "Wrong-Guess-Passw0rd-9";
        secrets["a wrong password the user typed"] = wrongGuess;
        var other = "other." + s.Email;
        await servers.Source.AddUserAsync(other, s.SourcePassword);
        var otherId = await s.Admin.AddMailboxAsync(s.ProjectId, other, null, s.DestinationPassword, login: other);
        await s.Admin.ActAsync(s.ProjectId, "Start", [otherId]);
        var otherEmail = await servers.Smtp.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(other), TimeSpan.FromSeconds(20));
        var otherLink = AccessScenario.LinkIn(otherEmail.Message);
        secrets["the second user's link token"] = otherLink.Segments[^1];
        Assert.Contains("not accepted", (await s.SubmitAsync(otherLink, sourcePassword: wrongGuess, sourceLogin: other)).Body!.TextContent);

        // The first user submits and the mailbox is migrated.
        await servers.Source.AppendMessageAsync(s.Email, s.SourcePassword, "INBOX", new MimeKit.MimeMessage(
            [new MimeKit.MailboxAddress("Ada", "ada@example.org")], [new MimeKit.MailboxAddress("Bob", "bob@example.org")], "hello",
            new MimeKit.TextPart("plain") { Text = "Body\r\n" }));
        var link = await s.StartAndReadLinkAsync();
        secrets["the user's link token"] = link.Segments[^1];
        Assert.Contains("Thank you", (await s.SubmitAsync(link)).Body!.TextContent);
        await WaitUntilAsync(async () => AdminPages.StatusOf(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId) == "Completed");
        Assert.All(secrets.Values, v => Assert.True(v.Length >= 8, "A needle this short would prove nothing: " + v));

        var found = new List<string>();
        void Search(string where, string haystack, IEnumerable<string>? allowed = null)
        {
            foreach (var (what, secret) in secrets)
                if (!(allowed?.Contains(what) ?? false) && haystack.Contains(secret, StringComparison.Ordinal))
                    found.Add($"{what} in {where}");
        }

        Search("the portal's log", string.Join("\n", s.Portal.LogLines));
        foreach (var (name, bytes) in await s.Portal.DatabaseContentsAsync())
            Search($"the database ({name})", Encoding.UTF8.GetString(bytes));
        var pages = await CrawlAdminAsync(s.Admin.Client);
        Assert.True(pages.Count > 10, "The crawl read only " + string.Join(", ", pages.Keys));
        Assert.Contains(pages.Keys, p => p.Contains("handler=Csv", StringComparison.OrdinalIgnoreCase));
        foreach (var (path, text) in pages)
            Search($"page {path}", text);
        foreach (var email in servers.Smtp.Messages)
        {
            using var raw = new MemoryStream();
            await email.Message.WriteToAsync(raw);
            var to = string.Join(",", email.EnvelopeRecipients);
            // Each link is in the one email that carries it, and nowhere else.
            var own = to.Contains(other) ? ["the second user's link token"]
                : to.Contains("second.admin@") ? ["the invitation's code"]
                : to.Contains(s.Email) ? new[] { "the user's link token" } : [];
            Search($"the email to {to}", Encoding.UTF8.GetString(raw.ToArray()), own);
        }

        Assert.True(found.Count == 0, "Secrets found:\n" + string.Join("\n", found));
        // The search can find what it looks for: the addresses, stored in clear, are in the same places.
        Assert.Contains(await s.Portal.DatabaseContentsAsync(), f => Encoding.UTF8.GetString(f.Bytes).Contains(s.Email));
        Assert.Contains(pages.Values, text => text.Contains(s.Email));
    }

    /// <summary>Every admin page reachable by links from the start page (GET only; Log out is a form, not a link).</summary>
    private static async Task<Dictionary<string, string>> CrawlAdminAsync(HtmlClient admin)
    {
        var pages = new Dictionary<string, string>();
        var queue = new Queue<string>(["/Admin", "/Admin/Audit?handler=Csv"]);
        while (queue.Count > 0 && pages.Count < 300)
        {
            var path = queue.Dequeue();
            if (pages.ContainsKey(path)) continue;
            var response = await admin.Http.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            pages[path] = text;
            if (response.Content.Headers.ContentType?.MediaType != "text/html") continue;
            var page = await HtmlClient.OpenHtmlAsync(text);
            foreach (var href in page.QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!))
                if (href.StartsWith("/Admin", StringComparison.Ordinal) && !pages.ContainsKey(href))
                    queue.Enqueue(href);
        }
        return pages;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition never held.");
            await Task.Delay(200);
        }
    }
}
