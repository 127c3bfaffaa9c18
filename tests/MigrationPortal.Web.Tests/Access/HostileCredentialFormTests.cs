using System.Net;
using AngleSharp.Html.Dom;
using MigrationPortal.Web.Tests.Infrastructure;
using MigrationPortal.Web.Tests.Security;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// The public credential form is the one page a stranger with a link can type into: every hostile payload as the
/// login name and as the password, posted as a script would (past the browser's length limits). Real Dovecot judges
/// what reaches it.
/// </summary>
public sealed class HostileCredentialFormTests(MailServers servers) : IClassFixture<MailServers>
{
    private const string Markup = "<script>alert('x')</script>";

    [Fact]
    public async Task CredentialForm_EachPayloadAsLoginAndAsPassword_NoErrorPageAndNothingOfItUnencoded()
    {
        // Twelve submissions from one address in a minute: above the form's per-client limit, which is not what this tests.
        await using var s = await AccessScenario.CreateAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Access:PerClientPermitLimit"] = "100",
            ["Access:PerLinkPermitLimit"] = "100",
        });
        var link = await s.StartAndReadLinkAsync();
        var outcomes = new List<string>();

        foreach (var field in new[] { "login", "password" })
            foreach (var (name, payload) in HostileTextTests.Payloads)
            {
                var form = await s.OpenAsync(link);
                if (s.User.LastResponse!.StatusCode == HttpStatusCode.Gone)
                {
                    // The previous payload reached the server and was refused, which uses the link: the admin starts again.
                    link = await s.StartAndReadLinkAsync();
                    form = await s.OpenAsync(link);
                }
                var login = field == "login" ? payload : s.SourceLogin;
                var password = field == "password" ? payload : s.SourcePassword;

                var (status, html) = await PostAsync(s.User, link.PathAndQuery, form, login, password);

                var what = $"{name} as the {field}";
                Assert.True((int)status < 500, $"{what}: {(int)status}");
                Assert.False(html.Contains(Markup, StringComparison.Ordinal), $"{what}: the page holds the markup unencoded");
                Assert.False(html.Contains('\0'), $"{what}: the page holds a NUL");
                if (status != HttpStatusCode.OK)
                {
                    // Refused before the form is read (a NUL, a body over the form's 16 KB): a plain answer, no details.
                    Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"{what}: {(int)status}");
                    Assert.DoesNotContain("Exception", html);
                    outcomes.Add($"{what}: {(int)status}");
                    continue;
                }
                var page = await HtmlClient.OpenHtmlAsync(html);
                var text = page.Body!.TextContent;
                if (page.QuerySelector("main form") is { } again)
                {
                    // Shown again saying what is wrong, the login name as typed (parsed back from its encoded attribute).
                    var error = string.Join(" ", again.QuerySelectorAll(".error, .errors li").Select(e => e.TextContent.Trim())).Trim();
                    Assert.True(error.Length > 0, $"{what}: the form came back without a message");
                    Assert.Equal(login, ((IHtmlInputElement)again.QuerySelector("input[name='Input.SourceLogin']")!).Value);
                    Assert.Equal("", ((IHtmlInputElement)again.QuerySelector("input[name='Input.SourcePassword']")!).Value);
                    outcomes.Add($"{what}: form again, {error}");
                }
                else
                {
                    Assert.Contains("Your source credentials were not accepted by the source mail server.", text);
                    outcomes.Add($"{what}: not accepted");
                }
            }

        // Markup never comes back in the form above (it is a valid login name, which the server refuses): with the
        // password left out, the form is shown again with it.
        var empty = await s.OpenAsync(link);
        if (s.User.LastResponse!.StatusCode == HttpStatusCode.Gone)
        {
            link = await s.StartAndReadLinkAsync();
            empty = await s.OpenAsync(link);
        }
        var (shownStatus, shown) = await PostAsync(s.User, link.PathAndQuery, empty, Markup, "");
        Assert.Equal(HttpStatusCode.OK, shownStatus);
        Assert.DoesNotContain(Markup, shown);
        var shownPage = await HtmlClient.OpenHtmlAsync(shown);
        Assert.Equal(Markup, ((IHtmlInputElement)shownPage.QuerySelector("input[name='Input.SourceLogin']")!).Value);
        Assert.Contains("Enter your source password.", shownPage.Body!.TextContent);
        Assert.Empty(shownPage.QuerySelectorAll("script"));

        // What each payload met, so that a change of behaviour shows here rather than passing silently.
        Assert.Equal(
        [
            "markup as the login: not accepted",
            "SQL as the login: not accepted",
            "right-to-left override as the login: not accepted",
            "NUL as the login: 400",
            "line break as the login: form again, The login name contains characters that are not allowed.",
            "1 MB as the login: 413",
            "markup as the password: not accepted",
            "SQL as the password: not accepted",
            "right-to-left override as the password: not accepted",
            "NUL as the password: 400",
            "line break as the password: not accepted",
            "1 MB as the password: 413",
        ], outcomes);
    }

    /// <summary>Posts the form's antiforgery token with these values, as a script would.</summary>
    private static async Task<(HttpStatusCode Status, string Html)> PostAsync(HtmlClient user, string path, IHtmlDocument form, string login, string password)
    {
        var token = form.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["Input.SourceLogin"] = login,
            ["Input.SourcePassword"] = password,
        });
        using var response = await user.Http.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
