using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Access;

/// <summary>
/// The admin presses Stop at the very moment the user submits the form, many times over. Whichever comes first, the
/// mailbox ends Stopped (a submission verified after the Stop never moves it on), its license is given back, no error
/// page is shown to either, the user sees either the thank-you page or the neutral one, and the password is stored only
/// when the user was thanked.
/// </summary>
public sealed class StopWhileSubmittingTests(MailServers servers) : IClassFixture<MailServers>
{
    private static readonly int Trials = Soak.Scale(8);

    [Fact]
    public async Task StopAndSubmit_AtTheSameMoment_AlwaysStoppedLicenseBackAndTheUserToldOneConsistentThing()
    {
        await using var s = await AccessScenario.CreateAsync(servers);
        await s.Admin.AddLicensesAsync(Trials);
        var available = AdminPages.LicensesAvailable(await s.Admin.Client.GetAsync("/Admin/Licenses"));
        var outcomes = new List<string>();

        for (var trial = 0; trial < Trials; trial++)
        {
            var email = $"race{trial}." + s.Email;
            await servers.Source.AddUserAsync(email, s.SourcePassword);
            await servers.Destination.AddUserAsync(email, s.DestinationPassword);
            var mailbox = await s.Admin.AddMailboxAsync(s.ProjectId, email, null, s.DestinationPassword, login: email);
            await s.Admin.ActAsync(s.ProjectId, "Start", [mailbox]);
            var mail = await servers.Smtp.WaitForMessageAsync(m => m.EnvelopeRecipients.Contains(email), TimeSpan.FromSeconds(20));
            var link = AccessScenario.LinkIn(mail.Message);
            var page = await s.OpenAsync(link);
            var form = (IHtmlFormElement)page.QuerySelector("main form")!;
            var dashboard = await s.Admin.DashboardAsync(s.ProjectId);

            // The first trial stops before the user submits and the last after the user was answered, so both orders are
            // seen whatever the machine's speed; those between send Stop 0 to 35 ms after the form, so it lands before
            // the link is claimed, during the servers' check, or after it.
            Task<(HttpStatusCode Status, IHtmlDocument Page)>? stopping = null;
            if (trial == 0) stopping = Stopped(await s.Admin.SubmitOnAsync(dashboard, "Stop", [mailbox]));
            var submitting = s.User.SubmitAsync(form, "Submit", new Dictionary<string, string>
            {
                ["Input.SourceLogin"] = email,
                ["Input.SourcePassword"] = s.SourcePassword,
            });
            if (trial == Trials - 1) await submitting;
            else if (trial > 0) await Task.Delay(TimeSpan.FromMilliseconds((trial - 1) * 5));
            stopping ??= s.Admin.SubmitOnAsync(dashboard, "Stop", [mailbox]);
            var (answer, stop) = (await submitting, await stopping);
            var userStatus = s.User.LastResponse!.StatusCode;

            Assert.Equal(HttpStatusCode.OK, stop.Status);
            Assert.True(AdminPages.Report(stop.Page).Contains("Stop: applied to 1 mailbox."), AdminPages.Report(stop.Page));
            var thanked = answer.Body!.TextContent.Contains("Thank you");
            Assert.True(thanked || userStatus == HttpStatusCode.Gone, $"Trial {trial}: the user saw {(int)userStatus}: {answer.Body.TextContent.Trim()[..Math.Min(300, answer.Body.TextContent.Trim().Length)]}");
            var stored = await s.Portal.WithDbAsync(db => db.Mailboxes.AsNoTracking().SingleAsync(m => m.Id == mailbox));
            Assert.Equal(MailboxStatus.Stopped, stored.Status);
            Assert.Equal(MailboxLicenseState.None, stored.License);
            if (!thanked) Assert.Null(stored.Source.ProtectedPassword);
            Assert.Equal(1, await s.Portal.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.MailboxId == mailbox)));
            outcomes.Add(thanked ? "thanked" : "neutral");
        }

        // Every license came back; no error anywhere in the portal's log.
        Assert.Equal(available, AdminPages.LicensesAvailable(await s.Admin.Client.GetAsync("/Admin/Licenses")));
        var errors = s.Portal.LogLines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Console.WriteLine("Stop while submitting: " + string.Join(", ", outcomes));
        Assert.Equal("neutral", outcomes[0]);
        Assert.Equal("thanked", outcomes[^1]);
    }

    private static Task<(HttpStatusCode Status, IHtmlDocument Page)> Stopped((HttpStatusCode Status, IHtmlDocument Page) result) => Task.FromResult(result);
}
