using System.Net;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>Verbs the portal does not serve are refused with 405 and an Allow header, never a crashed page.</summary>
public sealed class HttpMethodTests
{
    private static readonly string[] OtherMethods = ["TRACE", "PUT", "DELETE", "OPTIONS", "PATCH"];

    [Fact]
    public async Task OtherVerbs_OnAccessMailboxAndOutboxPages_Answer405WithAllowAndLogNoError()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, "Dst-Passw0rd");
        string[] paths = ["/access/some-token", $"/Admin/Mailboxes/Details/{mailbox}", $"/Admin/Mailboxes/Edit/{mailbox}", "/Admin/Outbox"];

        foreach (var path in paths)
        foreach (var method in OtherMethods)
        {
            var response = await admin.Client.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Equal(["GET", "HEAD", "POST"], response.Content.Headers.Allow.Order());
        }
        Assert.DoesNotContain(portal.LogLines, line => line.StartsWith("Error ") || line.StartsWith("Critical "));
    }

    [Fact]
    public async Task Post_ToAPageWithoutPostHandler_Answers405AndDoesNotRenderThePage()
    {
        await using var portal = new PortalFactory();
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await admin.CreateProjectAsync();
        var mailbox = await admin.AddMailboxAsync(project, "ada@example.org", null, "Dst-Passw0rd");
        var details = await admin.Client.GetAsync($"/Admin/Mailboxes/Details/{mailbox}");
        // A valid antiforgery token (from the page's own sign-out form), so only the missing handler can refuse it.
        var token = details.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;

        var response = await admin.Client.Http.PostAsync($"/Admin/Mailboxes/Details/{mailbox}",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.Order());
        Assert.DoesNotContain("ada@example.org", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(portal.LogLines, line => line.StartsWith("Error ") || line.StartsWith("Critical "));
    }
}
