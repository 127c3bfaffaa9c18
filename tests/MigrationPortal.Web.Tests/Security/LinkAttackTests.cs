using System.Net;
using System.Security.Cryptography;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Access;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// A credential link attacked: each character of its token changed, other protected values of the portal passed off
/// as a token, many links minted, the lifetime's edges. The safe outcome each time: the same neutral page (410),
/// nothing consumed, the mailbox untouched, no error logged.
/// </summary>
public sealed class LinkAttackTests(MailServers servers) : IClassFixture<MailServers>
{
    private const string Neutral = "This link is no longer valid. Ask your administrator to send a new one.";
    private const string Base64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    [Fact]
    public async Task Token_EachCharacterChanged_EveryOneTheNeutralPageAndTheLinkStillWorks()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        var token = (await s.StartAndReadLinkAsync()).AbsolutePath["/access/".Length..];
        var form = await s.User.GetAsync("/access/" + token);
        var formElement = (IHtmlFormElement)form.QuerySelector("main form")!;

        var opened = new List<string>();
        for (var i = 0; i < token.Length; i++)
        {
            // The six-bit value's top bit flipped: the last character's low bits may be padding, its top bit never is.
            var changed = token[..i] + Base64Url[Base64Url.IndexOf(token[i]) ^ 32] + token[(i + 1)..];
            var page = await s.User.GetAsync("/access/" + changed);
            if (s.User.LastResponse!.StatusCode != HttpStatusCode.Gone || !page.Body!.TextContent.Contains(Neutral))
                opened.Add($"position {i}: {(int)s.User.LastResponse!.StatusCode}");
        }
        // A POST to a changed link with the real form's fields and the right password is refused too.
        formElement.Action = "/access/" + token[..5] + Base64Url[Base64Url.IndexOf(token[5]) ^ 32] + token[6..];
        var posted = await s.User.SubmitAsync(formElement, "Submit",
            new Dictionary<string, string> { ["Input.SourceLogin"] = s.Email, ["Input.SourcePassword"] = s.SourcePassword });

        Assert.Empty(opened);
        Assert.Contains(Neutral, posted.Body!.TextContent);
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(0, request.Attempts);
        Assert.Equal(MailboxStatus.WaitingForUser, (await s.MailboxAsync()).Status);
        Assert.NotNull((await s.User.GetAsync("/access/" + token)).QuerySelector("main form"));
        Assert.DoesNotContain(s.Portal.LogLines, l => l.StartsWith("Error") || l.StartsWith("Critical"));
    }

    [Fact]
    public async Task OtherProtectedValuesOfThePortal_PresentedAsALink_NeutralPageEachTime()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        await s.StartAndReadLinkAsync();
        var form = await s.User.GetAsync("/Admin/Account/Login");
        var antiforgery = form.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        var storedPassword = await s.Portal.WithDbAsync(db => db.Mailboxes.Where(m => m.Id == s.MailboxId).Select(m => m.Destination.ProtectedPassword!).SingleAsync());
        var outbox = await s.Portal.WithDbAsync(db => db.OutboxMessages.Where(m => m.ProtectedContent != null).Select(m => m.ProtectedContent!).ToListAsync());
        var candidates = new Dictionary<string, string>
        {
            ["an antiforgery token"] = antiforgery,
            ["a stored password"] = storedPassword,
            ["a DataProtection payload of another purpose"] = WebEncoders.Base64UrlEncode(
                s.Portal.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>()
                    .CreateProtector("MigrationPortal.Outbox.v1").Protect(RandomNumberGenerator.GetBytes(48))),
        };
        foreach (var content in outbox.Take(1))
            candidates["a queued email"] = WebEncoders.Base64UrlEncode(Convert.FromBase64String(content));

        var opened = new List<string>();
        foreach (var (what, value) in candidates)
        {
            var page = await s.User.GetAsync("/access/" + Uri.EscapeDataString(value));
            if (s.User.LastResponse!.StatusCode != HttpStatusCode.Gone || !page.Body!.TextContent.Contains(Neutral))
                opened.Add($"{what}: {(int)s.User.LastResponse!.StatusCode}");
        }

        Assert.Empty(opened);
        Assert.Equal(MailboxStatus.WaitingForUser, (await s.MailboxAsync()).Status);
        Assert.DoesNotContain(s.Portal.LogLines, l => l.StartsWith("Error") || l.StartsWith("Critical"));
    }

    [Fact]
    public async Task TenThousandLinksMinted_AllDistinct()
    {
        await using var portal = new PortalFactory();
        var links = portal.Services.GetRequiredService<CredentialLinks>();
        var requests = Enumerable.Range(0, Soak.Scale(10_000)).Select(_ => (Id: Guid.NewGuid(), Nonce: RandomNumberGenerator.GetBytes(CredentialRequest.NonceBytes))).ToList();

        var tokens = requests.Select(r => links.CreateToken(r.Id, r.Nonce)).ToList();
        // The same request and nonce minted twice still gives two different tokens (nothing in a token repeats).
        var again = links.CreateToken(requests[0].Id, requests[0].Nonce);

        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEqual(tokens[0], again);
        for (var i = 0; i < tokens.Count; i += 997)
        {
            Assert.True(links.TryRead(tokens[i], out var id, out var nonce));
            Assert.Equal(requests[i].Id, id);
            Assert.Equal(requests[i].Nonce, nonce);
        }
    }

    [Fact]
    public async Task Lifetime_OneSecondBeforeTheEndOpens_OneSecondAfterIsNeutral()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var s = await AccessScenario.CreateAsync(servers, clock: clock);
        var link = await s.StartAndReadLinkAsync();

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        var before = await s.OpenAsync(link);
        Assert.Equal(HttpStatusCode.OK, s.User.LastResponse!.StatusCode);
        Assert.NotNull(before.QuerySelector("main form"));

        clock.Advance(TimeSpan.FromSeconds(2));
        var after = await s.OpenAsync(link);
        Assert.Equal(HttpStatusCode.Gone, s.User.LastResponse!.StatusCode);
        Assert.Contains(Neutral, after.Body!.TextContent);
    }
}
