using System.Net;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>The secure form as an attacker or a careless client meets it: headers, limits, rate limiting.</summary>
public sealed class AccessFormProtectionTests(MailServers servers) : IClassFixture<MailServers>
{
    [Fact]
    public async Task FormAndResultPages_SendNoStoreNoReferrerNoFramingHeaders()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        await s.OpenAsync(link);
        var form = s.User.LastResponse!;
        await s.SubmitAsync(link);
        var result = s.User.LastResponse!;
        await s.OpenAsync(link);
        var neutral = s.User.LastResponse!;

        foreach (var response in new[] { form, result, neutral })
        {
            Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Fact]
    public async Task Form_IsNeverCachedWithoutAnAntiforgeryWarningInTheLog()
    {
        // The form carries an antiforgery token, so ASP.NET Core answers it "no-cache, no-store", and logs a warning
        // each time a page had set another Cache-Control first. Opening a link must leave no warning behind: with
        // "no-store" alone every visit did (bench/scan.sh's scanner left thousands in one run).
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        await s.OpenAsync(link);

        var cacheControl = s.User.LastResponse!.Headers.CacheControl;
        Assert.True(cacheControl?.NoStore, "Cache-Control: no-store");
        Assert.True(cacheControl?.NoCache, "Cache-Control: no-cache");
        Assert.DoesNotContain(s.Portal.LogLines, line => line.StartsWith("Warning Microsoft.AspNetCore.Antiforgery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Form_WorksWithoutJavaScriptAndHasLabelledFields()
    {
        await using var s = await AccessScenario.CreateAsync(servers, adminKnowsDestination: false);
        var link = await s.StartAndReadLinkAsync();

        var page = await s.OpenAsync(link);

        Assert.Empty(page.QuerySelectorAll("script"));
        foreach (var input in page.QuerySelectorAll("main form input:not([type=hidden])"))
            Assert.NotNull(page.QuerySelector($"label[for='{input.Id}']"));
        Assert.NotNull(page.QuerySelector("input[name='__RequestVerificationToken']"));
        Assert.NotNull(page.QuerySelector("input[name='Input.SourcePassword']"));
        Assert.NotNull(page.QuerySelector("input[name='Input.DestinationPassword']"));
        Assert.Equal(s.Email, page.QuerySelector("input[name='Input.SourceLogin']")!.GetAttribute("value"));
        Assert.Equal(s.Email, page.QuerySelector("input[name='Input.DestinationLogin']")!.GetAttribute("value"));
    }

    [Fact]
    public async Task Submit_OversizePasswordOrControlCharacterLogin_ValidationMessageAndNoImapCall()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        var tooLong = await s.SubmitAsync(link, sourcePassword: new string('x', 1025));
        var muchTooLong = await s.SubmitAsync(link, sourcePassword: new string('x', 10_000));
        var control = await s.SubmitAsync(link, sourceLogin: "ada\u0007@example.org");

        Assert.Contains("The password is too long.", tooLong.Body!.TextContent);
        Assert.Contains("The password is too long.", muchTooLong.Body!.TextContent);
        Assert.Contains("characters that are not allowed", control.Body!.TextContent);
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(0, request.Attempts);
        Assert.Equal(CredentialRequestState.Pending, request.State);
        Assert.Equal(MailboxStatus.WaitingForUser, (await s.MailboxAsync()).Status);
    }

    [Fact]
    public async Task Submit_OversizeBody_Is413AndChangesNothing()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        var response = await s.User.Http.PostAsync(link.PathAndQuery, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.SourceLogin"] = s.Email,
            ["Input.SourcePassword"] = new string('p', 64 * 1024),
        }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(0, request.Attempts);
    }

    [Fact]
    public async Task Submit_PasswordWithSpacesAndUnicode_IsPassedByteExact()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();

        // The account's password is "Src pässwörd …"; the same with a trailing space must be refused.
        var padded = await s.SubmitAsync(link, sourcePassword: s.SourcePassword + " ");

        Assert.Contains("Your source credentials were not accepted", padded.Body!.TextContent);
    }

    [Fact]
    public async Task Submit_TooManyPostsOnOneLink_Answers429WithRetryAfter()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Access:PerLinkPermitLimit"] = "3",
        });
        var link = await s.StartAndReadLinkAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            // Blank password: refused by validation, so no IMAP login is made; the limiter still counts it.
            await s.SubmitAsync(link, sourcePassword: "");
            statuses.Add(s.User.LastResponse!.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(s.User.LastResponse!.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var opened = await s.OpenAsync(link);
        Assert.Equal(HttpStatusCode.OK, s.User.LastResponse!.StatusCode);
        Assert.NotNull(opened.QuerySelector("main form"));
    }

    [Fact]
    public async Task Submit_OneClientAcrossManyLinks_Answers429PastTheClientLimit()
    {
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Access:PerClientPermitLimit"] = "2",
        });
        var first = await s.StartAndReadLinkAsync();
        var other = await s.Admin.AddMailboxAsync(s.ProjectId, "other." + s.Email, null, s.DestinationPassword);
        await s.Admin.ActAsync(s.ProjectId, "Start", [other]);

        await s.SubmitAsync(first, sourcePassword: "");
        await s.SubmitAsync(first, sourcePassword: "");
        var third = await s.User.Http.PostAsync("/access/" + "some-other-token", new FormUrlEncodedContent(new Dictionary<string, string>()));

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter);
    }

    [Fact]
    public async Task Submit_TypedServerUnreachable_AttemptsDoNotUseUpTheLinkAndTheUserIsNotShownServerDetails()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        await servers.Source.StopAsync();
        try
        {
            // More tries than the cap: none reached the server the user typed for, so none counts.
            for (var i = 0; i < CredentialRequest.MaxVerificationAttempts + 2; i++)
            {
                var text = (await s.SubmitAsync(link, sourcePassword: s.SourcePassword)).Body!.TextContent;
                Assert.Contains("try again later", text);
                Assert.DoesNotContain("127.0.0.1", text);
                Assert.DoesNotContain("refused", text, StringComparison.OrdinalIgnoreCase);
            }
            var after = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.Id == request.Id));
            Assert.Equal(0, after.Attempts);
            // The admin still sees the detail on the dashboard.
            var dashboard = await s.Admin.DashboardAsync(s.ProjectId);
            Assert.Contains("127.0.0.1", dashboard.QuerySelector($"tr[data-mailbox-id='{s.MailboxId}'] .reason")!.TextContent);
        }
        finally
        {
            await servers.Source.StartAsync();
        }

        var accepted = await s.SubmitAsync(link, sourcePassword: s.SourcePassword);
        Assert.Contains("Thank you", accepted.Body!.TextContent);
        Assert.Equal(MigrationPortal.Core.Mailboxes.MailboxStatus.Submitted, (await s.MailboxAsync()).Status);
    }

    [Fact]
    public async Task Submit_TypedServerReachedOtherUnreachable_EachTryCountsUpToTheCap()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var link = await s.StartAndReadLinkAsync();
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        // The source (typed by the user) answers each time, so each try is a login it saw: the cap ends them.
        await servers.Destination.StopAsync();
        try
        {
            for (var i = 0; i < CredentialRequest.MaxVerificationAttempts; i++)
                Assert.Contains("try again later", (await s.SubmitAsync(link, sourcePassword: s.SourcePassword)).Body!.TextContent);

            var page = await s.OpenAsync(link);

            Assert.Contains("This link is no longer valid", page.Body!.TextContent);
            var after = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.Id == request.Id));
            Assert.Equal(CredentialRequest.MaxVerificationAttempts, after.Attempts);
        }
        finally
        {
            await servers.Destination.StartAsync();
        }
    }
}
