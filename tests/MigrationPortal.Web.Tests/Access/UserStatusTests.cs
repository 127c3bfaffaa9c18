using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Email;
using MigrationPortal.Fixtures.Faults;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// After the user's submission: the same emailed link shows their mailbox's status while the real engine copies it
/// between two real Dovecot servers, and the completion or failure email arrives through the real SMTP server.
/// </summary>
public sealed class UserStatusTests(MailServers servers) : IClassFixture<MailServers>
{
    private const string Neutral = "This link is no longer valid. Ask your administrator to send a new one.";
    private const string SecretSubject = "Betreff 7f3a: nur für mich";
    private const string SecretFolder = "Privatordner-91c2";

    private static readonly Dictionary<string, string?> Migrating = new()
    {
        ["Migration:Enabled"] = "true",
        ["Migration:Heartbeat"] = "00:00:00.200",
        ["Migration:PollInterval"] = "00:00:00.500",
    };

    [Fact]
    public async Task StatusPage_WhileTheEngineCopies_ShowsProgress_ThenCompleted_AndTheCompletionEmailCarriesTheLink()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: Migrating);
        const int messages = 3000;
        await servers.Source.AppendMessagesAsync(s.Email, s.SourcePassword, "INBOX", Enumerable.Range(0, messages).Select(Message));
        await servers.Source.AppendMessageAsync(s.Email, s.SourcePassword, SecretFolder, Message(-1));
        var link = await s.StartAndReadLinkAsync();

        var thanks = await s.SubmitAsync(link);
        var statusLink = thanks.QuerySelector("#status-link") as IHtmlAnchorElement;
        Assert.NotNull(statusLink);
        Assert.Equal(link.AbsolutePath, statusLink.GetAttribute("href"));

        // Read as fast as the test can while the pass runs: the page must show the pass part-way at least once.
        IHtmlDocument? partWay = null;
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var page = await s.OpenAsync(link);
            Assert.Equal(HttpStatusCode.OK, s.User.LastResponse!.StatusCode);
            var heading = page.QuerySelector("h1")!.TextContent;
            if (seen.Count == 0 || seen[^1] != heading) seen.Add(heading);
            var bar = page.QuerySelector("#messages-progress");
            if (heading == "Copying your mail" && bar is not null && int.Parse(bar.GetAttribute("value")!) is > 0 and < messages)
                partWay ??= page;
            if (heading == "Copied") break;
            await Task.Delay(20);
        }
        Assert.True(partWay is not null, "The status page never showed the pass part-way; headings seen: " + string.Join(" → ", seen));
        Assert.Equal((messages + 1).ToString(), partWay.QuerySelector("#messages-progress")!.GetAttribute("max"));
        Assert.NotNull(partWay.QuerySelector("meta[http-equiv='refresh']"));

        var done = await s.OpenAsync(link);
        Assert.Equal("Copied", done.QuerySelector("h1")!.TextContent);
        Assert.Contains("Your mailbox has been copied", done.QuerySelector("#status")!.TextContent);
        Assert.Contains($"{messages + 1:N0} messages copied", done.QuerySelector("#last-pass")!.TextContent);
        Assert.Null(done.QuerySelector("meta[http-equiv='refresh']")); // nothing left to wait for
        // Only the status: no folder, no subject of the user's mail.
        Assert.DoesNotContain(SecretFolder, done.DocumentElement.OuterHtml);
        Assert.DoesNotContain("Betreff 7f3a", done.DocumentElement.OuterHtml);
        Assert.DoesNotContain(SecretFolder, partWay.DocumentElement.OuterHtml);

        var email = await s.NextEmailAsync();
        Assert.Equal(MigrationStatusEmail.CompletedSubject, email.Subject);
        Assert.Equal(link, AccessScenario.LinkIn(email));
        Assert.Contains($"{messages + 1:N0} messages", email.TextBody);
        Assert.DoesNotContain(SecretFolder, email.TextBody + email.HtmlBody);

        // The link only shows; a form post to it changes nothing.
        var before = await s.MailboxAsync();
        var post = await s.User.Http.PostAsync(link.AbsolutePath, new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.SourcePassword"] = "x" }));
        Assert.True(post.StatusCode is HttpStatusCode.Gone or HttpStatusCode.BadRequest, $"POST answered {post.StatusCode}");
        Assert.Equal(before.Version, (await s.MailboxAsync()).Version);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FailedAfterSubmission_FailureEmailSaysWhatHappensNext_AndTheStatusPageSaysNotFinished(bool projectsOwnWording)
    {
        // The source is reached through a proxy that breaks the pass's first message download; with no retries allowed
        // the pass fails (the credential check at submission only logs in, so it goes through).
        await using var proxy = new CuttingProxy(servers.Source.Host, servers.Source.Port);
        proxy.CutOnce(CutDirection.ServerToClient, 0, marker: "BODY.PEEK[]");
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>(Migrating) { ["Migration:Retries"] = "0" },
            sourceEndpoint: (proxy.Host, proxy.Port));
        await servers.Source.AppendMessageAsync(s.Email, s.SourcePassword, "INBOX", Message(1));
        if (projectsOwnWording)
            await s.Admin.EmailWordingAsync(s.ProjectId, "Failed", "Save", "Not yet: {{source}}", "We will call you about {{project}}.\n\n{{link}}");
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);

        var email = await s.NextEmailAsync();

        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(projectsOwnWording ? $"Not yet: {s.Email}" : MigrationStatusEmail.FailedSubject, email.Subject);
        Assert.Contains(projectsOwnWording ? "We will call you about Acme move." : "your administrator has been told and will start it again", email.TextBody);
        Assert.Equal(link, AccessScenario.LinkIn(email));
        Assert.Equal(MailboxStatus.Failed, (await s.MailboxAsync()).Status);
        var page = await s.OpenAsync(link);
        Assert.Equal("Not finished", page.QuerySelector("h1")!.TextContent);
        Assert.Contains("did not finish", page.QuerySelector("#last-pass")!.TextContent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompletionEmail_ProjectNameWithMarkup_EncodedInTheHtmlPart(bool projectsOwnWording)
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: Migrating);
        await servers.Source.AppendMessageAsync(s.Email, s.SourcePassword, "INBOX", Message(1));
        await s.Admin.RenameProjectAsync(s.ProjectId, "<b>Acme</b> & \"Co\"");
        if (projectsOwnWording)
            await s.Admin.EmailWordingAsync(s.ProjectId, "Completed", "Save", "Done: {{project}}", "{{project}}: {{messages}} message, {{size}}.\n\n{{link}}");
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);

        var email = await s.NextEmailAsync();

        Assert.Equal(projectsOwnWording ? "Done: <b>Acme</b> & \"Co\"" : MigrationStatusEmail.CompletedSubject, email.Subject);
        Assert.Contains("&lt;b&gt;Acme&lt;/b&gt; &amp; &quot;Co&quot;", email.HtmlBody);
        Assert.DoesNotContain("<b>Acme</b>", email.HtmlBody);
        Assert.Contains("<b>Acme</b> & \"Co\"", email.TextBody);
        if (projectsOwnWording) Assert.Contains("<b>Acme</b> & \"Co\": 1 message, ", email.TextBody);
    }

    [Fact]
    public async Task StatusPage_SevenDaysAfterTheEnd_NeutralPage()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock, settings: Migrating);
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        await s.NextEmailAsync(); // the completion email: the pass has ended

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.Equal("Copied", (await s.OpenAsync(link)).QuerySelector("h1")!.TextContent);
        clock.Advance(TimeSpan.FromMinutes(2));
        var page = await s.OpenAsync(link);

        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, page.Body!.TextContent);
    }

    [Fact]
    public async Task StatusPage_TamperedLink_NeutralPage_AndARejectedLinkShowsNoStatus()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        Assert.Equal("Starting soon", (await s.OpenAsync(link)).QuerySelector("h1")!.TextContent);

        var token = link.Segments[^1];
        var flipped = token[..10] + (token[10] == 'A' ? 'B' : 'A') + token[11..];
        var tampered = await s.User.GetAsync("/access/" + flipped);
        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, tampered.Body!.TextContent);

        // A link whose credentials were refused never shows a status: the user was told on the form.
        await using var r = await AccessScenario.CreateAsync(servers);
        var refused = await r.StartAndReadLinkAsync();
        await r.SubmitAsync(refused, sourcePassword: "wrong");
        var page = await r.OpenAsync(refused);
        Assert.Equal(HttpStatusCode.Gone, r.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, page.Body!.TextContent);
    }

    [Fact]
    public async Task StatusPage_AdminAskedAgain_OldLinkNeutral()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        await s.PressAsync("Stop");
        await s.PressAsync("Clear Credentials", new Dictionary<string, string> { ["clearSource"] = "true" });
        var second = await s.StartAndReadLinkAsync();

        var old = await s.OpenAsync(link);

        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, old.Body!.TextContent);
        Assert.NotNull((await s.OpenAsync(second)).QuerySelector("main form"));
    }

    private static MimeMessage Message(int i)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("sender@example.org"));
        message.To.Add(MailboxAddress.Parse("user@example.org"));
        message.MessageId = $"status-{i}-{Guid.NewGuid():N}@example.org";
        message.Subject = i < 0 ? SecretSubject : $"Message {i}";
        message.Body = new TextPart("plain") { Text = $"Body of message {i}\r\n" + new string('x', 200) };
        return message;
    }
}
