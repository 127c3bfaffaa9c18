using System.Net;
using System.Text.RegularExpressions;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// Someone holding a user's link posts the form a thousand times: wrong passwords from one address, and, while the other
/// server is down (so no answer ends the link at once), from a thousand addresses through a trusted proxy. The portal
/// answers 429 past its limits, and the real mail server's own log shows no more logins for that mailbox than the cap.
/// </summary>
public sealed partial class FormAbuseTests(MailServers servers) : IClassFixture<MailServers>
{
    private static readonly int Posts = Soak.Scale(1000);
    private const int PerLinkLimit = 10;

    [Fact]
    public async Task Submit_AThousandWrongPasswordsFromOneAddress_OneLoginThenTheLinkIsUsedUpAnd429s()
    {
        await using var s = await AccessScenario.CreateAsync(servers);

        var statuses = await PostAsync(s, password: i => $"guess-{i}", clientAddress: _ => null);

        // The first wrong password is a verdict: the item fails naming the source, and the link is used up.
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        AssertLimited(statuses.Skip(1), HttpStatusCode.Gone);
        Assert.Equal(1, FailedLoginsFor(servers.Source.ReadLog(), s.Email));
        Assert.Equal(0, FailedLoginsFor(servers.Destination.ReadLog(), s.Email));
        var mailbox = await s.MailboxAsync();
        Assert.Equal(MailboxStatus.Failed, mailbox.Status);
    }

    [Fact]
    public async Task Submit_AThousandPostsFromAThousandAddressesWhileTheDestinationIsDown_NoMoreSourceLoginsThanTheCap()
    {
        // The portal sits behind a proxy on this machine, which reports a different client for each post.
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8",
        });
        var link = await s.StartAndReadLinkAsync();
        await servers.Destination.StopAsync();
        List<HttpStatusCode> statuses;
        try
        {
            // The right source password each time, and no verdict: every try reaches the source, so every try counts.
            statuses = await PostAsync(s, password: _ => s.SourcePassword, clientAddress: i => $"10.{i / 250}.{i % 250}.7", link);
        }
        finally
        {
            await servers.Destination.StartAsync();
        }

        Assert.All(statuses.Take(CredentialRequest.MaxVerificationAttempts), status => Assert.Equal(HttpStatusCode.OK, status));
        AssertLimited(statuses.Skip(CredentialRequest.MaxVerificationAttempts), HttpStatusCode.Gone);
        var log = servers.Source.ReadLog();
        Assert.True(LoginsFor(log, s.Email) == CredentialRequest.MaxVerificationAttempts,
            string.Join("\n", log.Split('\n').Where(l => l.Contains(s.Email, StringComparison.Ordinal))));
    }

    /// <summary>Posts the form <see cref="Posts"/> times, as fast as answers come.</summary>
    private static async Task<List<HttpStatusCode>> PostAsync(AccessScenario s, Func<int, string> password, Func<int, string?> clientAddress, Uri? link = null)
    {
        link ??= await s.StartAndReadLinkAsync();
        var form = await s.OpenAsync(link);
        var token = form.QuerySelector("main form input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Posts; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, link.PathAndQuery)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["__RequestVerificationToken"] = token,
                    ["Input.SourceLogin"] = s.SourceLogin,
                    ["Input.SourcePassword"] = password(i),
                }),
            };
            if (clientAddress(i) is { } address) request.Headers.Add("X-Forwarded-For", address);
            using var response = await s.User.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    /// <summary>
    /// The rest of the posts: each answered (no 5xx), with the used-up link's neutral page until the per-link limit (10 a
    /// window, counted from the first post) answers 429 before the form is even read, to the end.
    /// </summary>
    private static void AssertLimited(IEnumerable<HttpStatusCode> rest, HttpStatusCode usedUp)
    {
        var answers = rest.ToList();
        var passed = answers.TakeWhile(st => st == usedUp).Count();
        Assert.True(Posts - answers.Count + passed == PerLinkLimit, "Answers: " + string.Join(", ", answers.Take(PerLinkLimit + 2)));
        Assert.All(answers.Skip(passed), status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
    }

    /// <summary>Failed logins for <paramref name="user"/> in Dovecot's log (each ends its connection with a line naming the user).</summary>
    private static int FailedLoginsFor(string log, string user) =>
        log.Split('\n').Count(line => line.Contains($"user=<{user}>", StringComparison.Ordinal) && AuthFailed().IsMatch(line));

    /// <summary>Successful logins for <paramref name="user"/> in Dovecot's log.</summary>
    private static int LoginsFor(string log, string user) =>
        log.Split('\n').Count(line => line.Contains($"Login: user=<{user}>", StringComparison.Ordinal));

    [GeneratedRegex(@"auth failed, \d+ attempts")]
    private static partial Regex AuthFailed();
}
