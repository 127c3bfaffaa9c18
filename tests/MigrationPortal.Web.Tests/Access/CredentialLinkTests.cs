using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Email;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>The seed's flow end to end: the email from a real SMTP server, its link, the real form, real Dovecot logins.</summary>
public sealed class CredentialLinkTests(MailServers servers) : IClassFixture<MailServers>
{
    private const string Neutral = "This link is no longer valid. Ask your administrator to send a new one.";

    [Fact]
    public async Task Email_StartWithUnknownSource_ArrivesWithSubjectProjectSideExpiryAndPublicLink()
    {
        await using var s = await AccessScenario.CreateAsync(servers);

        await s.PressAsync("Start");
        var email = await s.NextEmailAsync();

        Assert.Equal(CredentialRequestEmail.Subject, email.Subject);
        Assert.Equal(s.Email, email.To.Mailboxes.Single().Address);
        Assert.NotNull(email.HtmlBody);
        foreach (var body in new[] { email.TextBody, email.HtmlBody! })
        {
            Assert.Contains("Acme move", body);
            Assert.Contains(s.Email, body);
            Assert.Contains("source credentials", body);
            Assert.Contains(AccessScenario.PublicBaseUrl + "/access/", body);
        }
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Contains(request.ExpiresAt.UtcDateTime.ToString("d MMMM yyyy, HH:mm"), email.TextBody);
        Assert.Equal(TimeSpan.FromDays(7), request.ExpiresAt - request.CreatedAt);
    }

    [Fact]
    public async Task Submit_ValidCredentials_ItemSubmittedPasswordStoredEncrypted()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        var form = await s.OpenAsync(link);
        Assert.Contains("Acme move", form.Body!.TextContent);
        Assert.NotNull(form.QuerySelector("input[name='Input.SourcePassword']"));
        Assert.Null(form.QuerySelector("input[name='Input.DestinationPassword']"));
        var result = await s.SubmitAsync(link);

        Assert.Contains("Thank you — your migration has started.", result.Body!.TextContent);
        var mailbox = await s.MailboxAsync();
        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
        Assert.Equal(s.Email, mailbox.Source.LoginName);
        Assert.NotNull(mailbox.Source.ProtectedPassword);
        Assert.DoesNotContain(s.SourcePassword, mailbox.Source.ProtectedPassword);
        Assert.Equal("Submitted", AdminPages.StatusOf(await s.Admin.DashboardAsync(s.ProjectId), s.MailboxId));
    }

    [Fact]
    public async Task Submit_WrongSourcePassword_FailsWithSourceReasonAndUsesTheLink()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        var result = await s.SubmitAsync(link, sourcePassword: "wrong " + s.SourcePassword);

        Assert.Contains("Your source credentials were not accepted", result.Body!.TextContent);
        Assert.Contains("administrator has been told", result.Body.TextContent);
        var mailbox = await s.MailboxAsync();
        Assert.Equal(MailboxStatus.Failed, mailbox.Status);
        Assert.Equal("Source credentials are incorrect", mailbox.Failure!.Text);
        Assert.Null(mailbox.Source.ProtectedPassword);
        var dashboard = await s.Admin.DashboardAsync(s.ProjectId);
        Assert.Contains("Source credentials are incorrect", dashboard.QuerySelector($"tr[data-mailbox-id='{s.MailboxId}'] td.status")!.TextContent);
        var again = await s.OpenAsync(link);
        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, again.Body!.TextContent);
    }

    [Fact]
    public async Task Submit_WrongDestinationPassword_FailsWithDestinationReason()
    {
        await using var s = await AccessScenario.CreateAsync(servers, adminKnowsDestination: false);
        var link = await s.StartAndReadLinkAsync();

        var result = await s.SubmitAsync(link, destinationPassword: "nope");

        Assert.Contains("Your destination credentials were not accepted", result.Body!.TextContent);
        var mailbox = await s.MailboxAsync();
        Assert.Equal(MailboxStatus.Failed, mailbox.Status);
        Assert.Equal("Destination credentials are incorrect", mailbox.Failure!.Text);
        Assert.Null(mailbox.Source.ProtectedPassword);
        Assert.Null(mailbox.Destination.ProtectedPassword);
    }

    [Fact]
    public async Task Link_ReplayedAfterSuccess_ShowsTheStatusNotTheFormAndChangesNothing()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        var before = await s.MailboxAsync();

        var page = await s.OpenAsync(link);
        var post = await s.User.Http.PostAsync(link.AbsolutePath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.SourceLogin"] = s.SourceLogin, ["Input.SourcePassword"] = "another " + s.SourcePassword,
        }));

        Assert.Equal(HttpStatusCode.OK, s.User.LastResponse!.StatusCode);
        Assert.Equal("Starting soon", page.QuerySelector("h1")!.TextContent);
        Assert.Null(page.QuerySelector("main form"));
        Assert.NotEqual(HttpStatusCode.OK, post.StatusCode);
        var after = await s.MailboxAsync();
        Assert.Equal(before.Status, after.Status);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Source.ProtectedPassword, after.Source.ProtectedPassword);
    }

    [Theory]
    [InlineData("tampered")]
    [InlineData("truncated")]
    [InlineData("garbage")]
    public async Task Link_TamperedOrTruncated_ShowsTheSameNeutralPage(string how)
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = (await s.StartAndReadLinkAsync()).PathAndQuery;
        var token = link["/access/".Length..];
        var bad = how switch
        {
            "tampered" => token[..20] + (token[20] == 'A' ? 'B' : 'A') + token[21..],
            "truncated" => token[..(token.Length / 2)],
            _ => "not-a-token",
        };

        var page = await s.User.GetAsync("/access/" + bad);

        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, page.Body!.TextContent);
        Assert.Equal(MailboxStatus.WaitingForUser, (await s.MailboxAsync()).Status);
    }

    [Fact]
    public async Task Link_Expired_ShowsNeutralPageAndPostChangesNothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock);
        var link = await s.StartAndReadLinkAsync();
        var form = await s.OpenAsync(link);
        Assert.NotNull(form.QuerySelector("main form"));

        clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        var page = await s.OpenAsync(link);

        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, page.Body!.TextContent);
        var posted = await s.User.SubmitAsync((AngleSharp.Html.Dom.IHtmlFormElement)form.QuerySelector("main form")!, "Submit",
            new Dictionary<string, string> { ["Input.SourceLogin"] = s.Email, ["Input.SourcePassword"] = s.SourcePassword });
        Assert.Contains(Neutral, posted.Body!.TextContent);
        Assert.Equal(MailboxStatus.WaitingForUser, (await s.MailboxAsync()).Status);
    }

    [Theory]
    [InlineData("Stop")]
    [InlineData("Clear Credentials")]
    [InlineData("Start again")]
    [InlineData("Delete")]
    public async Task Link_AfterAdminAction_ShowsNeutralPage(string action)
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        await s.PressAsync("Stop");
        switch (action)
        {
            case "Clear Credentials":
                await s.PressAsync("Clear Credentials", new Dictionary<string, string> { ["clearDestination"] = "true" });
                break;
            case "Start again":
                var newer = await s.StartAndReadLinkAsync();
                Assert.NotEqual(link, newer);
                break;
            case "Delete":
                await s.PressAsync("Delete Items");
                break;
        }
        var before = await s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Select(m => new { m.Status, m.Version }).SingleOrDefaultAsync(m => true));

        var page = await s.OpenAsync(link);

        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, page.Body!.TextContent);
        var after = await s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().Select(m => new { m.Status, m.Version }).SingleOrDefaultAsync(m => true));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Link_OpenedByGetAndHeadManyTimes_IsNotConsumed()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        for (var i = 0; i < 3; i++)
        {
            await s.OpenAsync(link);
            Assert.Equal(HttpStatusCode.OK, s.User.LastResponse!.StatusCode);
            var head = await s.User.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, link.PathAndQuery));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(CredentialRequestState.Pending, request.State);
        Assert.Equal(0, request.Attempts);
        var result = await s.SubmitAsync(link);
        Assert.Contains("Thank you", result.Body!.TextContent);
    }

    [Fact]
    public async Task Submit_TwoConcurrentPosts_VerifyOnce()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        var page = await s.OpenAsync(link);
        var form = (AngleSharp.Html.Dom.IHtmlFormElement)page.QuerySelector("main form")!;
        var fields = new Dictionary<string, string> { ["Input.SourceLogin"] = s.Email, ["Input.SourcePassword"] = s.SourcePassword };
        var second = new HtmlClient(s.Portal.CreateClient());
        var secondForm = (AngleSharp.Html.Dom.IHtmlFormElement)(await second.GetAsync(link.PathAndQuery)).QuerySelector("main form")!;

        var results = await Task.WhenAll(s.User.SubmitAsync(form, "Submit", fields), second.SubmitAsync(secondForm, "Submit", fields));

        Assert.Equal(1, results.Count(r => r.Body!.TextContent.Contains("Thank you")));
        Assert.Equal(1, results.Count(r => r.Body!.TextContent.Contains(Neutral)));
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(1, request.Attempts);
        var verified = await s.Portal.WithDbAsync(db => db.MailboxEvents.CountAsync(e => e.MailboxId == s.MailboxId && e.Description.StartsWith("Credentials verified")));
        Assert.Equal(1, verified);
    }

    [Fact]
    public async Task Submit_SourceServerUnreachable_StaysWaitingShowsServerErrorAndLinkStillWorks()
    {
        var closedPort = MigrationPortal.Fixtures.LoopbackPort.Free();
        await using var s = await AccessScenario.CreateAsync(servers, sourceEndpoint: ("127.0.0.1", closedPort));
        var link = await s.StartAndReadLinkAsync();

        var result = await s.SubmitAsync(link);

        Assert.Contains("try again later with the same link", result.Body!.TextContent);
        var mailbox = await s.MailboxAsync();
        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Null(mailbox.Failure);
        Assert.Contains($"127.0.0.1:{closedPort}", mailbox.VerificationProblem);
        var dashboard = await s.Admin.DashboardAsync(s.ProjectId);
        Assert.Contains($"127.0.0.1:{closedPort}", dashboard.QuerySelector($"tr[data-mailbox-id='{s.MailboxId}'] td.status")!.TextContent);
        var again = await s.OpenAsync(link);
        Assert.NotNull(again.QuerySelector("main form"));
    }

    [Fact]
    public async Task Password_NeverInDatabaseFileLogsOrPages()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        var token = link.AbsolutePath["/access/".Length..];

        var result = await s.SubmitAsync(link);
        var details = await s.Admin.Client.GetAsync($"/Admin/Mailboxes/Details/{s.MailboxId}");
        var dashboard = await s.Admin.DashboardAsync(s.ProjectId);

        Assert.Contains("Thank you", result.Body!.TextContent);
        foreach (var html in new[] { result.Source.Text, details.Source.Text, dashboard.Source.Text })
            Assert.DoesNotContain(s.SourcePassword, html);
        Assert.DoesNotContain(s.Portal.LogLines, l => l.Contains(s.SourcePassword) || l.Contains(s.DestinationPassword) || l.Contains(token));
        var stored = await s.Portal.DatabaseContentsAsync();
        Assert.NotEmpty(stored);
        foreach (var (name, bytes) in stored)
            foreach (var secret in new[] { s.SourcePassword, s.DestinationPassword, token })
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{name} holds a secret in clear");
    }
}
