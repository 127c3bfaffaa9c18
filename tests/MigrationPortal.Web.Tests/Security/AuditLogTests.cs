using System.Text;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Security;

/// <summary>
/// The audit log, as an admin reads it after a day's work: every sign-in (failed ones too), license, project, mailbox,
/// dashboard action and user submission, with who, from which address and what came of it; downloadable as CSV;
/// never a password; hostile text typed at sign-in shown as text and escaped in the spreadsheet.
/// </summary>
public sealed class AuditLogTests(MailServers servers) : IClassFixture<MailServers>
{
    [Fact]
    public async Task ADaysWork_EachActionListedWithWhoWhereAndOutcome_CsvHasItAllAndNoPasswordAnywhere()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        // Typed past the browser's own checks (a script posts what it likes): a formula and markup as the address.
        var stranger = AdminPages.Open(s.Portal);
        await RawSignInAsync(stranger, "=HYPERLINK(\"http://evil.test\")@example.org", "Guess-1-Passw0rd");
        await RawSignInAsync(stranger, "<script>alert(1)</script>@example.org", "Guess-2-Passw0rd");
        var link = await s.StartAndReadLinkAsync();
        await s.SubmitAsync(link);
        await s.PressAsync("Stop");
        await s.PressAsync("Clear Credentials", new Dictionary<string, string> { ["clearSource"] = "true" });
        await s.PressAsync("Delete Items");

        var page = await s.Admin.Client.GetAsync("/Admin/Audit");
        var rows = page.QuerySelectorAll("#audit-entries tbody tr")
            .Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToArray()).ToList();
        string[] Row(string action, string? actor = null) =>
            rows.FirstOrDefault(r => r[3] == action && (actor is null || r[1] == actor))
            ?? throw new Xunit.Sdk.XunitException($"No '{action}' entry{(actor is null ? "" : " by " + actor)} in:\n" + string.Join('\n', rows.Select(r => string.Join(" | ", r))));

        Assert.Equal("127.0.0.1", Row("Signed in", PortalFactory.AdminEmail)[2]);
        Assert.Contains("wrong email or password", Row("Sign-in refused", "<script>alert(1)</script>@example.org")[5]);
        Assert.Contains("5 added", Row("Licenses added", PortalFactory.AdminEmail)[5]);
        Assert.Contains("Acme move", Row("Project created")[4]);
        Assert.Contains("destination password stored; source asked of the user", Row("Mailbox added")[5]);
        Assert.Contains("1 applied", Row("Start", PortalFactory.AdminEmail)[5]);
        Assert.Contains("accepted by both servers", Row("Credentials submitted", "the mailbox's user")[5]);
        Assert.Contains(s.Email, Row("Credentials submitted")[4]);
        Assert.Contains("1 applied", Row("Stop")[5]);
        Assert.Contains("1 applied", Row("Clear Credentials")[5]);
        Assert.Contains("1 applied", Row("Delete")[5]);
        Assert.All(rows, r => Assert.Equal("127.0.0.1", r[2]));
        // Newest first: the delete before the sign-in.
        Assert.True(rows.FindIndex(r => r[3] == "Delete") < rows.FindIndex(r => r[3] == "Signed in"));
        var html = await s.Admin.Client.LastResponse!.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>alert(1)</script>", html);

        using var csvResponse = await s.Admin.Client.Http.GetAsync("/Admin/Audit?handler=Csv");
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var csv = await csvResponse.Content.ReadAsStringAsync();
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("When (UTC),Who,From,What,On,Details", lines[0]);
        Assert.Equal(rows.Count + 1, lines.Length);
        Assert.Contains(lines, l => l.Contains("Credentials submitted") && l.Contains("the mailbox's user"));
        // The cell a spreadsheet would run is there, escaped.
        Assert.Contains(lines, l => l.Contains("HYPERLINK") && l.Contains("Sign-in refused"));
        Assert.DoesNotContain(lines, l => l.Contains(",=HYPERLINK") || l.Contains(",\"=HYPERLINK"));

        var secrets = new[] { s.SourcePassword, s.DestinationPassword, "Guess-1-Passw0rd", "Guess-2-Passw0rd", PortalFactory.AdminPassword };
        var stored = await s.Portal.WithDbAsync(db => db.AuditEntries.AsNoTracking().ToListAsync());
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, html);
            Assert.DoesNotContain(secret, csv);
            Assert.DoesNotContain(stored, e => $"{e.Actor}{e.Action}{e.Target}{e.Detail}".Contains(secret));
        }
    }

    private static async Task RawSignInAsync(AdminPages client, string email, string password)
    {
        var login = await client.Client.GetAsync("/Admin/Account/Login");
        var token = login.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value")!;
        using var response = await client.Client.Http.PostAsync("/Admin/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AuditPage_NotSignedIn_GoesToTheLoginPage()
    {
        await using var portal = new PortalFactory();
        var anonymous = AdminPages.Open(portal);

        await anonymous.Client.GetAsync("/Admin/Audit?handler=Csv");

        Assert.Equal("/Admin/Account/Login", anonymous.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
    }
}
