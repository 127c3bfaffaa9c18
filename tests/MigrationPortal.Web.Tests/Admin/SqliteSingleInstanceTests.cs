using System.Net;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Admin;

/// <summary>One portal process per SQLite file: a second one is refused at start-up, saying why; the file is free again once the first stops.</summary>
public sealed class SqliteSingleInstanceTests
{
    [Fact]
    public async Task Start_SecondPortalOnTheSameSqliteFile_RefusedWithAClearMessageAndTheFirstGoesOn()
    {
        var dir = Directory.CreateTempSubdirectory("migrationportal-single-").FullName;
        try
        {
            var settings = new Dictionary<string, string?> { ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(dir, "portal.db")}" };
            await using var first = new PortalFactory(settings);
            var admin = AdminPages.Open(first);
            await admin.LoginAsync();

            await using var second = new PortalFactory(settings);
            var refused = Assert.ThrowsAny<Exception>(() => second.Services);

            var message = string.Join(" | ", Chain(refused).Select(e => e.Message));
            Assert.Contains("Another MigrationPortal process is already running on the SQLite database", message);
            Assert.Contains(Path.Combine(dir, "portal.db"), message);
            Assert.Contains("use PostgreSQL", message);
            // The first portal was not disturbed.
            Assert.Equal(HttpStatusCode.OK, (await admin.Client.Http.GetAsync("/Admin/Licenses")).StatusCode);

            await first.DisposeAsync();
            await using var third = new PortalFactory(settings);
            var again = AdminPages.Open(third);
            await again.LoginAsync(); // the lock went with the first process's host
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                    yield return inner;
        }
    }
}
