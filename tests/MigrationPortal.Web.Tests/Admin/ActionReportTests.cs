using System.Net;
using Microsoft.Extensions.Time.Testing;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

public sealed class ActionReportTests
{
    [Fact]
    public async Task Report_OlderThanTheRetention_DroppedWhenTheProjectGetsANewOne()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var portal = new PortalFactory(clock: clock);
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        var project = await PortalSeed.ProjectAsync(portal);
        var ids = await PortalSeed.MailboxesAsync(portal, project, 2);
        var first = await admin.ActAsync(project, "Stop", ids);
        var oldReport = first.QuerySelector("#action-report a")!.GetAttribute("href")!;
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.Http.GetAsync(oldReport)).StatusCode);

        clock.Advance(TimeSpan.FromDays(29));
        await admin.LoginAsync(); // the sign-in lasts 8 hours of the same clock
        await admin.ActAsync(project, "Stop", ids);
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.Http.GetAsync(oldReport)).StatusCode);

        clock.Advance(TimeSpan.FromDays(2));
        await admin.LoginAsync();
        var latest = await admin.ActAsync(project, "Stop", ids);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.Client.Http.GetAsync(oldReport)).StatusCode);
        Assert.Contains("It is Not Started, so there is nothing to stop. (2)", AdminPages.Report(latest));
    }
}
