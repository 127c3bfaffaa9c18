using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.CredentialRequests;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Data;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Access;
using MigrationPortal.Web.Tests.Infrastructure;
using MimeKit;
using MimeKit.Utils;
using Xunit.Abstractions;

namespace MigrationPortal.Web.Tests.Instances;

/// <summary>
/// Two portal instances on one PostgreSQL database, as behind a load balancer: whatever one of them started, stored
/// or signed, the other carries on with, and what must happen once happens once. Real Dovecot servers on both
/// sides and a real SMTP server, as in the access tests; for the crash, real portal processes.
/// </summary>
public sealed partial class SeveralInstancesTests(MailServers servers, ITestOutputHelper output) : IClassFixture<MailServers>
{
    private const string Why = "several portal instances share one PostgreSQL database; a SQLite file has one process";
    private const string Neutral = "This link is no longer valid. Ask your administrator to send a new one.";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [PostgresFact(Why)]
    public async Task CredentialLink_EmailedByOneInstance_OpensOnTheOtherWhichAcceptsTheCredentialsAndTheMailboxMoves()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        // The first instance runs the migration worker, the second only serves the user's form.
        await using var s = await AccessScenario.CreateAsync(servers, settings: database.Settings(Worker(enabled: true)));
        await using var other = new PortalFactory(database.Settings(MailSettings()));
        using var userOnOther = UserOn(other);
        var source = await SeedSourceAsync(s.Email, s.SourcePassword, 3);

        var link = await s.StartAndReadLinkAsync();
        var form = await userOnOther.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, userOnOther.LastResponse!.StatusCode);
        Assert.Contains("Acme move", form.Body!.TextContent);
        var result = await userOnOther.SubmitAsync(FormOf(form), "Submit", new Dictionary<string, string>
        {
            ["Input.SourceLogin"] = s.Email,
            ["Input.SourcePassword"] = s.SourcePassword,
        });

        Assert.Contains("Thank you — your migration has started.", result.Body!.TextContent);
        // Stored by the second instance, read by the first one's worker: the mailbox is migrated with those credentials.
        await WaitForStatusAsync(s.Admin, s.ProjectId, s.MailboxId, "Completed");
        var destination = await MailboxContent.ReadAsync(servers.Destination, s.Email, s.DestinationPassword);
        Assert.Empty(destination.DifferencesFrom(source));
    }

    [PostgresFact(Why)]
    public async Task StartUp_TwoInstancesAtTheSameMomentOnANewDatabase_BothServeAndTheAdminSignsInOnEach()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings());
        await using var second = new PortalFactory(database.Settings());

        // Both migrate and create the admin account at once (they found the database empty); neither may stop.
        await Task.WhenAll(Task.Run(() => first.Services), Task.Run(() => second.Services));

        foreach (var portal in new[] { first, second })
        {
            var admin = AdminPages.Open(portal);
            await admin.LoginAsync();
            await admin.Client.GetAsync("/Admin/Projects");
            Assert.Equal("/Admin/Projects", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        }
        Assert.Equal(1, await first.WithDbAsync(db => db.Users.CountAsync()));
    }

    [PostgresFact(Why)]
    public async Task AdminCookie_SignedInOnOneInstance_WorksOnTheOtherAndLogoutEndsItOnBoth()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings());
        _ = first.Services; // migrates the shared database before the second starts
        await using var second = new PortalFactory(database.Settings());
        // One browser, two servers: the same cookie jar for both.
        var cookies = new CookieContainer();
        var onFirst = new AdminPages(Browser(first, cookies));
        var onSecond = new AdminPages(Browser(second, cookies));
        try
        {
            await onFirst.LoginAsync();
            var project = await onFirst.CreateProjectAsync("Signed on first");

            var projects = await onSecond.Client.GetAsync("/Admin/Projects");
            Assert.Equal("/Admin/Projects", onSecond.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.Contains("Signed on first", projects.Body!.TextContent);
            // A form the first instance served (its antiforgery token) is accepted when posted to the second.
            var licenses = await onFirst.Client.GetAsync("/Admin/Licenses");
            var added = await onSecond.Client.SubmitAsync(AdminPages.Form(licenses), "Add licenses", new Dictionary<string, string> { ["Input.Quantity"] = "3" });
            Assert.Equal(HttpStatusCode.OK, onSecond.Client.LastResponse!.StatusCode);
            Assert.Equal(3, AdminPages.LicensesAvailable(added));
            Assert.Equal(3, await second.WithDbAsync(db => db.LicensePools.Select(p => p.Available).SingleAsync()));

            var logout = await onFirst.Client.GetAsync("/Admin/Account/Logout");
            await onFirst.Client.SubmitAsync(AdminPages.Form(logout), "Log out");
            await onSecond.Client.GetAsync($"/Admin/Projects/Dashboard/{project}");
            Assert.Equal("/Admin/Account/Login", onSecond.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        }
        finally
        {
            onFirst.Client.Dispose();
            onSecond.Client.Dispose();
        }
    }

    [PostgresFact(Why)]
    public async Task StoredPassword_AddedOnOneInstance_TheOthersWorkerLogsInWithItAndMigrates()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings());
        var admin = AdminPages.Open(first);
        await admin.LoginAsync();
        // Only the second instance migrates: whatever logs in to Dovecot for the pass decrypts what the first stored.
        await using var second = new PortalFactory(database.Settings(Worker(enabled: true)));
        _ = second.Services;
        var email = $"p{Guid.NewGuid():N}"[..12] + "@example.org";
        const string password = "Stored-On-First-Passw0rd";
        await servers.Source.AddUserAsync(email, password);
        await servers.Destination.AddUserAsync(email, password);
        var source = await SeedSourceAsync(email, password, 3);
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync("Stored on first", (servers.Source.Host, servers.Source.Port, "None"),
            (servers.Destination.Host, servers.Destination.Port, "None"));
        var mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);

        await admin.ActAsync(project, "Start", [mailbox]);

        await WaitForStatusAsync(admin, project, mailbox, "Completed");
        Assert.Empty((await MailboxContent.ReadAsync(servers.Destination, email, password)).DifferencesFrom(source));
        admin.Client.Dispose();
    }

    /// <summary>
    /// The pass runs on the second instance, whose heartbeat is a minute; Stop is pressed on the first. The stop reaches
    /// the pass through PostgreSQL's NOTIFY, so it ends at a message boundary within seconds, not at the next beat.
    /// </summary>
    [PostgresFact(Why)]
    public async Task Stop_PressedOnTheOtherInstance_ThePassEndsWithinSecondsThoughItsHeartbeatIsAMinute()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var first = new PortalFactory(database.Settings());
        var admin = AdminPages.Open(first);
        await admin.LoginAsync();
        var slowBeat = Worker(enabled: true);
        slowBeat["Migration:Heartbeat"] = "00:01:00";
        slowBeat["Migration:Lease"] = "00:05:00";
        slowBeat["Migration:FoldersAtOnce"] = "1";
        await using var second = new PortalFactory(database.Settings(slowBeat));
        _ = second.Services;
        var email = $"s{Guid.NewGuid():N}"[..12] + "@example.org";
        const string password = "Stop-Elsewhere-Passw0rd";
        await servers.Source.AddUserAsync(email, password);
        await servers.Destination.AddUserAsync(email, password);
        var source = await SeedSourceAsync(email, password, 3000);
        await admin.AddLicensesAsync(1);
        var project = await admin.CreateProjectAsync("Stop elsewhere", (servers.Source.Host, servers.Source.Port, "None"),
            (servers.Destination.Host, servers.Destination.Port, "None"));
        var mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);
        await admin.ActAsync(project, "Start", [mailbox]);
        var deadline = DateTime.UtcNow + Patience;
        while (await CountAsync(servers.Destination, email, password) < 50)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The pass did not copy 50 messages in time.");
            await Task.Delay(50);
        }

        var pressed = Stopwatch.StartNew();
        await admin.ActAsync(project, "Stop", [mailbox]);
        await WaitForStatusAsync(admin, project, mailbox, "Stopped");
        var took = pressed.Elapsed;

        Assert.True(took < TimeSpan.FromSeconds(15), $"Stop took {took.TotalSeconds:0.0} s to reach the pass on the other instance.");
        var copied = await CountAsync(servers.Destination, email, password);
        Assert.InRange(copied, 50, source.MessageCount - 1);
        var pass = await first.WithDbAsync(db => db.MigrationPasses.AsNoTracking().SingleAsync(p => p.MailboxId == mailbox));
        Assert.Equal(copied, pass.ItemsCopied);
        admin.Client.Dispose();
    }

    [PostgresFact(Why)]
    public async Task CredentialForm_PostedToBothInstancesAtTheSameMoment_OneIsAcceptedTheOtherSeesTheUsedLinkPage()
    {
        await using var database = await SharedPostgresDatabase.CreateAsync();
        await using var s = await AccessScenario.CreateAsync(servers, settings: database.Settings());
        await using var other = new PortalFactory(database.Settings(MailSettings()));
        using var userOnOther = UserOn(other);
        var link = await s.StartAndReadLinkAsync();
        var onFirst = FormOf(await s.OpenAsync(link));
        var onSecond = FormOf(await userOnOther.GetAsync(link.PathAndQuery));
        var fields = new Dictionary<string, string> { ["Input.SourceLogin"] = s.Email, ["Input.SourcePassword"] = s.SourcePassword };
        var loginsBefore = SourceLogins(s.Email);

        var results = await Task.WhenAll(
            Task.Run(() => s.User.SubmitAsync(onFirst, "Submit", fields)),
            Task.Run(() => userOnOther.SubmitAsync(onSecond, "Submit", fields)));

        var texts = results.Select(r => r.Body!.TextContent).ToList();
        Assert.Equal(1, texts.Count(t => t.Contains("Thank you — your migration has started.")));
        Assert.Equal(1, texts.Count(t => t.Contains(Neutral)));
        var request = await s.Portal.WithDbAsync(db => db.CredentialRequests.AsNoTracking().SingleAsync(r => r.MailboxId == s.MailboxId));
        Assert.Equal(CredentialRequestState.Used, request.State);
        Assert.Equal(1, request.Attempts);
        Assert.Equal(MailboxStatus.Submitted, (await s.MailboxAsync()).Status);
        Assert.Equal(1, await s.Portal.WithDbAsync(db => db.MailboxEvents.CountAsync(e => e.MailboxId == s.MailboxId && e.Description.StartsWith("Credentials verified"))));
        // Dovecot itself saw the user's credentials tried once: one login to the source, not one per instance.
        await Task.Delay(500); // Dovecot's log process writes the line a moment after the login
        Assert.True(SourceLogins(s.Email) == loginsBefore + 1,
            $"{SourceLogins(s.Email) - loginsBefore} source logins for {s.Email}; Dovecot's log:\n{Tail(servers.Source.ReadLog())}");
    }

    /// <summary>
    /// Two real portal processes migrate from one PostgreSQL database; the one running the pass is killed outright.
    /// The other takes the mailbox over once the dead one's lease has run out and finishes it: the destination holds
    /// every source message once (by Message-ID, and byte for byte per folder).
    /// </summary>
    [PostgresFact(Why)]
    public async Task KillNine_OneInstanceMidPass_TheOtherResumesAfterTheLeaseWithEveryMessageOnce()
    {
        var clock = Stopwatch.StartNew();
        void Log(string text) => output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {text}");
        await using var database = await SharedPostgresDatabase.CreateAsync();
        var dir = Directory.CreateTempSubdirectory("migrationportal-instances-").FullName;
        var email = $"k{Guid.NewGuid():N}"[..12] + "@example.org";
        const string password = "Kill-Nine-Passw0rd";
        await servers.Source.AddUserAsync(email, password);
        await servers.Destination.AddUserAsync(email, password);
        // Enough mail that a pass (one folder at a time) lasts a few seconds, so the kill lands in its middle.
        // Enough that an idle machine cannot copy it all between two looks at the destination (1,200 once could).
        var source = await SeedSourceAsync(email, password, 2100, ("Archive", 1500));
        var sourceIds = await MessageIdsAsync(servers.Source, email, password);
        Log($"seeded {source.Summary}");

        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Portal"] = database.ConnectionString,
            ["Database__Provider"] = "Postgres",
            ["Admin__Email"] = PortalFactory.AdminEmail,
            ["Admin__Password"] = PortalFactory.AdminPassword,
            ["Smtp__Host"] = "",
            ["Smtp__PickupDirectory"] = Path.Combine(dir, "mail"),
            ["Migration__Enabled"] = "true",
            ["Migration__Lease"] = "00:00:05",
            ["Migration__Heartbeat"] = "00:00:01",
            ["Migration__PollInterval"] = "00:00:00.500",
            ["Migration__FoldersAtOnce"] = "1",
        };
        PortalProcess? first = null, second = null;
        try
        {
            first = await PortalProcess.StartAsync(environment); // migrates the database before the second starts
            second = await PortalProcess.StartAsync(environment);
            Log($"portals answer: pid {first.Id} and pid {second.Id}");
            using var client = first.CreateClient();
            var admin = new AdminPages(client);
            await admin.LoginAsync();
            await admin.AddLicensesAsync(1);
            var project = await admin.CreateProjectAsync("Kill move", (servers.Source.Host, servers.Source.Port, "None"),
                (servers.Destination.Host, servers.Destination.Port, "None"));
            var mailbox = await admin.AddMailboxAsync(project, email, password, password, login: email);
            await admin.ActAsync(project, "Start", [mailbox]);

            // Whichever instance claimed the mailbox is the one to kill, once a good part of the mail has moved.
            var deadline = DateTime.UtcNow + Patience;
            string? owner;
            int copied;
            while (true)
            {
                owner = await ClaimOwnerAsync(database, mailbox);
                copied = await CountAsync(servers.Destination, email, password);
                if (copied >= source.MessageCount)
                    throw new Xunit.Sdk.XunitException($"The pass copied all {source.MessageCount} messages before the test could kill it: seed more mail.");
                if (owner is not null && copied >= source.MessageCount / 10) break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"No pass got a tenth of the way within {Patience}: owner {owner}, {copied} copied.");
                await Task.Delay(50);
            }
            var (victim, survivor) = owner.EndsWith($":{first.Id}", StringComparison.Ordinal) ? (first, second) : (second, first);
            Assert.EndsWith($":{victim.Id}", owner);
            await victim.KillAsync();
            var killedAt = clock.Elapsed;
            Log($"killed pid {victim.Id} (the claim's owner {owner}) with {copied} of {source.MessageCount} copied");

            // The survivor's admin pages (the same admin, signed in there) follow the mailbox to the end.
            using var survivorClient = survivor.CreateClient();
            var survivorAdmin = new AdminPages(survivorClient);
            await survivorAdmin.LoginAsync();
            string? takenBy = null;
            var takenAt = TimeSpan.Zero;
            deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                if (survivor.HasExited) throw new InvalidOperationException("The surviving portal exited:\n" + Tail(survivor.Output));
                if (takenBy is null && await ClaimOwnerAsync(database, mailbox) is { } now && now != owner)
                    (takenBy, takenAt) = (now, clock.Elapsed);
                var dashboard = await survivorAdmin.DashboardAsync(project);
                var status = AdminPages.StatusOf(dashboard, mailbox);
                if (status == "Completed") break;
                if (status == "Failed")
                    throw new Xunit.Sdk.XunitException("The resumed pass failed: " + dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")?.TextContent);
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"The mailbox is {status}, not Completed, {Patience} after the kill.");
                await Task.Delay(100);
            }
            Log($"Completed; taken over by {takenBy ?? "(not seen)"} {(takenAt - killedAt).TotalSeconds:0.0} s after the kill");

            if (takenBy is not null) Assert.EndsWith($":{survivor.Id}", takenBy);
            var destinationIds = await MessageIdsAsync(servers.Destination, email, password);
            var twice = destinationIds.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{twice.Count} messages are in the destination more than once, e.g. {string.Join(", ", twice.Take(3))}");
            Assert.Empty(sourceIds.Except(destinationIds));
            Assert.Equal(sourceIds.Count, destinationIds.Count);
            Assert.Empty((await MailboxContent.ReadAsync(servers.Destination, email, password)).DifferencesFrom(source));
        }
        catch
        {
            if (first is not null) output.WriteLine($"Portal pid {first.Id}:\n" + Tail(first.Output));
            if (second is not null) output.WriteLine($"Portal pid {second.Id}:\n" + Tail(second.Output));
            throw;
        }
        finally
        {
            if (first is not null) await first.DisposeAsync();
            if (second is not null) await second.DisposeAsync();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The settings <see cref="AccessScenario"/> gives its portal, so the other instance sends mail and builds links the same way.</summary>
    private Dictionary<string, string?> MailSettings() => new()
    {
        ["Smtp:Host"] = servers.Smtp.Host,
        ["Smtp:Port"] = servers.Smtp.Port.ToString(),
        ["Portal:PublicBaseUrl"] = AccessScenario.PublicBaseUrl,
        ["Outbox:PollInterval"] = "00:00:00.500",
        ["Outbox:RetryBaseDelay"] = "00:00:00.200",
    };

    private static Dictionary<string, string?> Worker(bool enabled) => new()
    {
        ["Migration:Enabled"] = enabled ? "true" : "false",
        ["Migration:PollInterval"] = "00:00:00.500",
        ["Migration:Heartbeat"] = "00:00:00.500",
    };

    /// <summary>The mailbox user's browser on an instance: no admin cookie, redirects shown as they are.</summary>
    private static HtmlClient UserOn(PortalFactory portal) =>
        new(portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>An admin's browser on an instance, keeping its cookies in <paramref name="cookies"/> (shared with the other instance).</summary>
    private static HtmlClient Browser(PortalFactory portal, CookieContainer cookies) =>
        new(portal.CreateDefaultClient(new RedirectHandler(), new CookieContainerHandler(cookies)));

    private static IHtmlFormElement FormOf(IHtmlDocument page) =>
        page.QuerySelector("main form") as IHtmlFormElement ?? throw new InvalidOperationException("The link shows no form: " + page.Body!.TextContent.Trim());

    private static async Task WaitForStatusAsync(AdminPages admin, int project, int mailbox, string wanted)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var dashboard = await admin.DashboardAsync(project);
            var status = AdminPages.StatusOf(dashboard, mailbox);
            if (status == wanted) return;
            if (status == "Failed" || DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"The mailbox is {status}, waiting for {wanted}: " + dashboard.QuerySelector($"tr[data-mailbox-id='{mailbox}']")?.TextContent);
            await Task.Delay(100);
        }
    }

    /// <summary>Distinct small messages, each with its own Message-ID, in INBOX and the given folders; returns what the source holds.</summary>
    private async Task<MailboxContent> SeedSourceAsync(string email, string password, int inbox, params (string Folder, int Count)[] more)
    {
        foreach (var (folder, count) in more.Prepend(("INBOX", inbox)))
        {
            var messages = Enumerable.Range(0, count).Select(i =>
            {
                var message = new MimeMessage { Subject = $"{folder} #{i}", MessageId = MimeUtils.GenerateMessageId(), Date = new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(i) };
                message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
                message.To.Add(new MailboxAddress("Bob", email));
                message.Body = new TextPart("plain") { Text = $"Message {i} of {folder}.\r\n" + new string('x', 200 + i % 700) };
                return message;
            });
            await servers.Source.AppendMessagesAsync(email, password, folder, messages);
        }
        return await MailboxContent.ReadAsync(servers.Source, email, password);
    }

    /// <summary>The Message-ID of every message in every folder, one entry per message (a duplicate shows twice).</summary>
    private static async Task<List<string>> MessageIdsAsync(DovecotServer server, string login, string password)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        var ids = new List<string>();
        foreach (var folder in await client.GetFoldersAsync(client.PersonalNamespaces[0], subscribedOnly: false, cancellationToken: default))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect) || folder.Attributes.HasFlag(FolderAttributes.NonExistent)) continue;
            await folder.OpenAsync(FolderAccess.ReadOnly);
            if (folder.Count > 0)
                ids.AddRange((await folder.FetchAsync(await folder.SearchAsync(SearchQuery.All), MessageSummaryItems.Envelope))
                    .Select(m => m.Envelope?.MessageId ?? "(none)"));
            await folder.CloseAsync(false);
        }
        await client.DisconnectAsync(quit: true);
        return ids;
    }

    /// <summary>Messages in all the user's folders, from STATUS: cheap enough to ask every few milliseconds.</summary>
    private static async Task<int> CountAsync(DovecotServer server, string login, string password)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(login, password);
        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0], StatusItems.Count, subscribedOnly: false);
        var count = folders.Where(f => !f.Attributes.HasFlag(FolderAttributes.NoSelect)).Sum(f => f.Count);
        await client.DisconnectAsync(quit: true);
        return count;
    }

    /// <summary>Who holds the mailbox's claim now (machine:pid), read from the shared database as a third party.</summary>
    private static async Task<string?> ClaimOwnerAsync(SharedPostgresDatabase database, int mailbox)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>().UseNpgsql(database.ConnectionString).Options;
        await using var db = new PortalDbContext(options);
        return await db.MigrationClaims.Where(c => c.MailboxId == mailbox).Select(c => c.Owner).SingleOrDefaultAsync();
    }

    private int SourceLogins(string email) =>
        Regex.Matches(servers.Source.ReadLog(), "Login: user=<" + Regex.Escape(email) + ">").Count;

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(60));
}
