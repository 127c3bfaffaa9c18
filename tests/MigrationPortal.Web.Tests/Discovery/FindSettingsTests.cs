using System.Net;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core.Projects;
using MigrationPortal.Fixtures;
using MigrationPortal.Fixtures.Dovecot;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Discovery;

/// <summary>
/// Find settings on the project form, against real parts on loopback: a DNS server the test controls, an HTTPS
/// autoconfig server, and a Dovecot with TLS (self-signed, so the side's pin is what makes its TLS acceptable, as for a pass).
/// </summary>
public sealed class FindSettingsTests(FindSettingsTests.World world) : IClassFixture<FindSettingsTests.World>
{
    private const string Login = "ada@example.org";
    private const string Password = "Test-Passw0rd";

    public sealed class World : IAsyncLifetime
    {
        public DovecotServer Dovecot { get; } = new() { Tls = true };
        public TestDnsServer Dns { get; } = new();
        public AutoconfigServer Autoconfig { get; } = new();

        public async Task InitializeAsync()
        {
            await Task.WhenAll(Dovecot.InitializeAsync(), Autoconfig.StartAsync());
            await Dovecot.AddUserAsync(Login, Password);
        }

        public async Task DisposeAsync()
        {
            await Dovecot.DisposeAsync();
            await Autoconfig.DisposeAsync();
            Dns.Dispose();
        }

        /// <summary>The portal, looking things up only here.</summary>
        public PortalFactory Portal() => new(new Dictionary<string, string?>
        {
            ["Discovery:DnsServers:0"] = Dns.Address,
            ["Discovery:AutoconfigHttpsPort"] = Autoconfig.Port.ToString(),
            ["Discovery:TrustedCertificateSha256:0"] = Autoconfig.CertificateSha256,
        });

        /// <summary>Serves an autoconfig file at autoconfig.&lt;domain&gt;, which the DNS server points at loopback.</summary>
        public string ServeAutoconfig(string domain, string body, string contentType = "application/xml")
        {
            Dns.AddA($"autoconfig.{domain}", IPAddress.Loopback);
            Autoconfig.Serve($"autoconfig.{domain}", "/mail/config-v1.1.xml", body, contentType);
            return $"https://autoconfig.{domain}:{Autoconfig.Port}/mail/config-v1.1.xml";
        }
    }

    [Fact]
    public async Task Find_AutoconfigNamesDovecot_ItsLoginAcceptedAndPopIgnored()
    {
        const string domain = "autoconfig-ok.test";
        var url = world.ServeAutoconfig(domain, AutoconfigServer.ConfigXml(
            ("pop3", "127.0.0.1", 995, "SSL"),
            ("imap", "127.0.0.1", world.Dovecot.TlsPort, "SSL")));
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain, pin: world.Dovecot.CertificateSha256, login: Login, password: Password);

        var row = Assert.Single(Rows(page, "source"));
        Assert.Equal($"127.0.0.1:{world.Dovecot.TlsPort}", Cell(row, "server"));
        Assert.Equal("TLS", Cell(row, "security"));
        Assert.Equal($"autoconfig at {url}", Cell(row, "origin"));
        Assert.StartsWith("Login accepted. Connected, and the test login was accepted.", Cell(row, "check"));
        Assert.NotNull(UseButton(row));
        Assert.Contains($"autoconfig at {url}: 1 IMAP server", Steps(page, "source"));
        // The password typed is never shown again, nor logged.
        Assert.DoesNotContain(Password, page.DocumentElement.OuterHtml);
        Assert.DoesNotContain(portal.LogLines, line => line.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Find_WrongTestPassword_ShownAsRefusedByTheServer()
    {
        const string domain = "wrong-password.test";
        world.ServeAutoconfig(domain, AutoconfigServer.ConfigXml(("imap", "127.0.0.1", world.Dovecot.TlsPort, "SSL")));
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain, pin: world.Dovecot.CertificateSha256, login: Login, password: "Not-the-passw0rd");

        var row = Assert.Single(Rows(page, "source"));
        Assert.StartsWith("Login refused by the server. Connected, but the server refused the test login:", Cell(row, "check"));
        Assert.Contains("Authentication failed", Cell(row, "check"));
        Assert.DoesNotContain("Not-the-passw0rd", page.DocumentElement.OuterHtml);
        Assert.DoesNotContain(portal.LogLines, line => line.Contains("Not-the-passw0rd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Find_TlsWithoutThePin_RefusedWithTheFingerprintAsForAPass()
    {
        const string domain = "self-signed.test";
        world.ServeAutoconfig(domain, AutoconfigServer.ConfigXml(("imap", "127.0.0.1", world.Dovecot.TlsPort, "SSL")));
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Destination", domain);

        var row = Rows(page, "destination").First();
        Assert.Equal("Unreachable.", row.QuerySelector("td.check strong")!.TextContent);
        Assert.Contains($"The TLS certificate of 127.0.0.1:{world.Dovecot.TlsPort} was not accepted. It is self-signed", Cell(row, "check"));
        Assert.Contains(ServerCertificatesFormat(world.Dovecot.CertificateSha256), Cell(row, "check"));
        Assert.Null(UseButton(row));
    }

    [Fact]
    public async Task Find_NoAutoconfig_SrvImapsUsedAndVerified()
    {
        const string domain = "srv-only.test";
        world.Dns.AddSrv($"_imaps._tcp.{domain}", 10, 5, world.Dovecot.TlsPort, "localhost");
        world.Dns.AddSrv($"_imap._tcp.{domain}", 0, 0, 0, ".");
        world.Dns.AddMx(domain, 10, "localhost");
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain, pin: world.Dovecot.CertificateSha256);

        var steps = Steps(page, "source");
        Assert.Contains($"autoconfig at https://autoconfig.{domain}:{world.Autoconfig.Port}/mail/config-v1.1.xml: could not be fetched (autoconfig.{domain} has no address in DNS)", steps);
        Assert.Contains($"autoconfig at https://{domain}:{world.Autoconfig.Port}/.well-known/autoconfig/mail/config-v1.1.xml: could not be fetched ({domain} has no address in DNS)", steps);
        Assert.Contains($"SRV _imap._tcp.{domain}: the domain says this service is not offered (target \".\")", steps);
        var row = Assert.Single(Rows(page, "source"));
        Assert.Equal($"localhost:{world.Dovecot.TlsPort}", Cell(row, "server"));
        Assert.Equal("TLS", Cell(row, "security"));
        Assert.Equal($"SRV _imaps._tcp.{domain} (priority 10, weight 5)", Cell(row, "origin"));
        Assert.StartsWith("Connected. Connected; no login tried", Cell(row, "check"));
        // Something connected, so the MX was not needed.
        Assert.DoesNotContain(steps, s => s.StartsWith("MX", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Find_SrvPriorityAndWeight_OrderTheProposals()
    {
        const string domain = "srv-order.test";
        var closed = LoopbackPort.Free();
        world.Dns.AddSrv($"_imaps._tcp.{domain}", 20, 0, closed, "localhost");
        world.Dns.AddSrv($"_imaps._tcp.{domain}", 10, 1, closed + 1, "localhost");
        world.Dns.AddSrv($"_imaps._tcp.{domain}", 10, 9, world.Dovecot.TlsPort, "localhost");
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain, pin: world.Dovecot.CertificateSha256);

        Assert.Equal(
            [$"localhost:{world.Dovecot.TlsPort}", $"localhost:{closed + 1}", $"localhost:{closed}"],
            Rows(page, "source").Select(r => Cell(r, "server")));
    }

    [Fact]
    public async Task Find_OnlyMx_GuessesShownWithWhyTheyDidNotConnect()
    {
        const string domain = "mx-only.test";
        world.Dns.AddMx(domain, 10, "localhost");
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain);

        var steps = Steps(page, "source");
        Assert.Contains($"SRV _imaps._tcp.{domain}: no record", steps);
        Assert.Contains($"guess: imap.{domain} has no address in DNS", steps);
        Assert.Contains($"MX {domain}: localhost", steps);
        var rows = Rows(page, "source");
        Assert.Equal(["localhost:993", "localhost:143"], rows.Select(r => Cell(r, "server")));
        Assert.All(rows, r => Assert.Equal("guess from MX localhost", Cell(r, "origin")));
        // Nothing listens on the standard ports here: the admin sees why, and cannot use them.
        Assert.All(rows, r => Assert.Contains($"Could not connect to {Cell(r, "server")}", Cell(r, "check")));
        Assert.All(rows, r => Assert.Null(UseButton(r)));
    }

    [Fact]
    public async Task Find_ProposalOnAClosedPort_ShownUnreachableWithTheReason()
    {
        const string domain = "closed-port.test";
        var closed = LoopbackPort.Free();
        world.ServeAutoconfig(domain, AutoconfigServer.ConfigXml(("imap", "127.0.0.1", closed, "SSL")));
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain);

        var row = Assert.Single(Rows(page, "source"));
        Assert.Equal("Unreachable.", row.QuerySelector("td.check strong")!.TextContent);
        Assert.Contains($"Could not connect to 127.0.0.1:{closed}: Connection refused", Cell(row, "check"));
        Assert.Null(UseButton(row));
        // Nothing from autoconfig connected, so SRV and MX were asked too.
        Assert.Contains($"MX {domain}: no record", Steps(page, "source"));
    }

    [Fact]
    public async Task Find_PlainTextEndpoint_NotOfferedUnlessTheBoxIsTicked()
    {
        const string domain = "plain.test";
        world.ServeAutoconfig(domain, AutoconfigServer.ConfigXml(("imap", "127.0.0.1", world.Dovecot.Port, "plain")));
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var refused = await FindAsync(admin, "Source", domain, login: Login, password: Password);
        var notOffered = Assert.Single(Rows(refused, "source"));
        Assert.Equal("no encryption", Cell(notOffered, "security"));
        Assert.StartsWith("Not offered. Not offered: it has no encryption", Cell(notOffered, "check"));
        Assert.Contains("Tick \"Allow endpoints without encryption\"", Cell(notOffered, "check"));
        Assert.Null(UseButton(notOffered));

        var allowed = await FindAsync(admin, "Source", domain, login: Login, password: Password, allowUnencrypted: true);
        var offered = Assert.Single(Rows(allowed, "source"));
        Assert.StartsWith("Login accepted.", Cell(offered, "check"));
        Assert.NotNull(UseButton(offered));
    }

    [Fact]
    public async Task UseTheseSettings_FillsTheSide_AndSavingStoresExactlyThat()
    {
        const string domain = "choose.test";
        world.Dns.AddSrv($"_imaps._tcp.{domain}", 0, 0, world.Dovecot.TlsPort, "localhost");
        world.ServeAutoconfig(domain, AutoconfigServer.ConfigXml(("imap", "127.0.0.1", world.Dovecot.Port, "STARTTLS")));
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);
        var create = await admin.Client.GetAsync("/Admin/Projects/Create");
        Fill(create, new() { ["Input.Name"] = "Found move", ["Input.DestinationHost"] = "imap.destination.test" });

        var found = await FindAsync(admin, create, "Source", domain, pin: world.Dovecot.CertificateSha256);
        var row = Assert.Single(Rows(found, "source"));
        Assert.Equal("STARTTLS", Cell(row, "security"));
        var filled = await admin.Client.PressAsync(AdminPages.Form(found), UseButton(row)!);

        Assert.Equal($"Source filled in with 127.0.0.1:{world.Dovecot.Port} (STARTTLS), found by autoconfig at https://autoconfig.{domain}:{world.Autoconfig.Port}/mail/config-v1.1.xml. Nothing is saved until you press Create project.",
            filled.QuerySelector("#filled")!.TextContent);
        Assert.Equal("127.0.0.1", Value(filled, "Input.SourceHost"));
        Assert.Equal(world.Dovecot.Port.ToString(), Value(filled, "Input.SourcePort"));
        Assert.Equal("StartTls", ((IHtmlSelectElement)filled.QuerySelector("select[name='Input.SourceSecurity']")!).Value);
        // What the admin typed before is still there, and nothing was saved yet.
        Assert.Equal("Found move", Value(filled, "Input.Name"));
        Assert.Equal("imap.destination.test", Value(filled, "Input.DestinationHost"));
        Assert.Equal(0, await portal.WithDbAsync(db => db.Projects.CountAsync()));

        var saved = await admin.Client.SubmitAsync(AdminPages.Form(filled), "Create project");
        Assert.True(admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath.StartsWith("/Admin/Projects/Dashboard/", StringComparison.Ordinal), AdminPages.Errors(saved));
        var project = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync());
        Assert.Equal(new ImapEndpoint("127.0.0.1", world.Dovecot.Port, TlsMode.StartTls, world.Dovecot.CertificateSha256), project.Source);
        Assert.Equal(new ImapEndpoint("imap.destination.test", 993, TlsMode.Tls), project.Destination);

        // On the Edit page the same, for the destination: the SRV's implicit-TLS port this time.
        var edit = await admin.Client.GetAsync($"/Admin/Projects/Edit/{project.Id}");
        Fill(edit, new() { ["Input.DestinationCertificateSha256"] = world.Dovecot.CertificateSha256 });
        world.Autoconfig.Serve($"autoconfig.{domain}", "/mail/config-v1.1.xml", "gone", "text/plain");
        var foundOnEdit = await FindAsync(admin, edit, "Destination", domain, pin: world.Dovecot.CertificateSha256);
        var srv = Assert.Single(Rows(foundOnEdit, "destination"));
        var filledOnEdit = await admin.Client.PressAsync(AdminPages.Form(foundOnEdit), UseButton(srv)!);
        await admin.Client.SubmitAsync(AdminPages.Form(filledOnEdit), "Save");

        Assert.StartsWith("/Admin/Projects/Dashboard/", admin.Client.LastResponse!.RequestMessage!.RequestUri!.AbsolutePath);
        var edited = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync());
        Assert.Equal(new ImapEndpoint("localhost", world.Dovecot.TlsPort, TlsMode.Tls, world.Dovecot.CertificateSha256), edited.Destination);
        Assert.Equal(project.Source, edited.Source);
    }

    [Fact]
    public async Task UseTheseSettings_ValueNotMadeByThePortal_RefusedAndTheFormUnchanged()
    {
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);
        var create = await admin.Client.GetAsync("/Admin/Projects/Create");
        var form = AdminPages.Form(create);
        var forged = (IHtmlButtonElement)create.CreateElement("button");
        forged.Type = "submit";
        forged.SetAttribute("formaction", "/Admin/Projects/Create?handler=Choose");
        forged.Name = "choice";
        forged.Value = "CfDJ8-made-up";
        form.AppendChild(forged);

        var page = await admin.Client.PressAsync(form, forged);

        Assert.Contains("Those settings can no longer be used", AdminPages.Errors(page));
        Assert.Equal("", Value(page, "Input.SourceHost"));
    }

    [Fact]
    public async Task Find_InvalidDomain_ClearMessageAndNothingChanged()
    {
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);
        var id = await admin.CreateProjectAsync();
        var edit = await admin.Client.GetAsync($"/Admin/Projects/Edit/{id}");
        var asked = world.Dns.Questions.Count;

        var page = await FindAsync(admin, edit, "Source", "not a domain!");

        Assert.Equal("'not a domain!' is not a domain name: use letters, digits and hyphens between dots, e.g. example.org.",
            page.QuerySelector("#source-found .error")!.TextContent);
        Assert.Empty(Rows(page, "source"));
        Assert.Equal("imap.source.test", Value(page, "Input.SourceHost"));
        Assert.Equal(asked, world.Dns.Questions.Count);
        var single = await FindAsync(admin, page, "Source", "localhost");
        Assert.Contains("it needs at least one dot", single.QuerySelector("#source-found .error")!.TextContent);
        var project = await portal.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync());
        Assert.Equal(new ImapEndpoint("imap.source.test", 993, TlsMode.Tls), project.Source);
    }

    public static TheoryData<string, string> HostileFiles => new()
    {
        { "huge", "the file is larger than 64 KB: not read" },
        { "huge-chunked", "the file is larger than 64 KB: not read" },
        { "entities", "the file declares a DTD, which the portal does not read: ignored" },
        { "external", "the file declares a DTD, which the portal does not read: ignored" },
        { "html", "not an autoconfig file (its root element is <html>, not <clientConfig>)" },
        { "binary", "not an autoconfig file: it is not well-formed XML" },
        { "redirect-to-http", "redirected to http://" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task Find_HostileAutoconfig_ClearMessageAndTheSearchGoesOn(string kind, string expected)
    {
        var domain = $"hostile-{kind}.test";
        world.Dns.AddA($"autoconfig.{domain}", IPAddress.Loopback);
        world.Dns.AddSrv($"_imaps._tcp.{domain}", 0, 0, world.Dovecot.TlsPort, "localhost");
        var host = $"autoconfig.{domain}";
        const string path = "/mail/config-v1.1.xml";
        var imap = AutoconfigServer.ConfigXml(("imap", "evil.example", 993, "SSL"));
        switch (kind)
        {
            case "huge":
                world.Autoconfig.Serve(host, path, imap.Replace("<displayName>", "<displayName>" + new string('x', 200_000)));
                break;
            case "huge-chunked":
                world.Autoconfig.Answer(host, path, async context =>
                {
                    context.Response.ContentType = "application/xml";
                    for (var i = 0; i < 100; i++)
                        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(new string(' ', 4096)));
                });
                break;
            case "entities":
                world.Autoconfig.Serve(host, path, """
                    <?xml version="1.0"?>
                    <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
                    <clientConfig><emailProvider><incomingServer type="imap"><hostname>&lol4;</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>
                    """);
                break;
            case "external":
                world.Autoconfig.Serve(host, path, """
                    <?xml version="1.0"?>
                    <!DOCTYPE clientConfig [<!ENTITY host SYSTEM "file:///etc/hostname">]>
                    <clientConfig><emailProvider><incomingServer type="imap"><hostname>&host;</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>
                    """);
                break;
            case "html":
                world.Autoconfig.Serve(host, path, "<html><body>Welcome</body></html>", "text/html");
                break;
            case "binary":
                world.Autoconfig.Answer(host, path, context => context.Response.Body.WriteAsync(new byte[] { 0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff }).AsTask());
                break;
            case "redirect-to-http":
                world.Autoconfig.Answer(host, path, context =>
                {
                    context.Response.StatusCode = StatusCodes.Status302Found;
                    context.Response.Headers.Location = $"http://{host}/mail/config-v1.1.xml";
                    return Task.CompletedTask;
                });
                break;
        }
        await using var portal = world.Portal();
        var admin = await SignInAsync(portal);

        var page = await FindAsync(admin, "Source", domain, pin: world.Dovecot.CertificateSha256);

        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        var step = Steps(page, "source").First();
        Assert.StartsWith($"autoconfig at https://{host}:{world.Autoconfig.Port}{path}: ", step);
        Assert.Contains(expected, step);
        Assert.True(step.Length < 400, step);
        // Nothing from the hostile file is proposed; the search went on to SRV, which works.
        var row = Assert.Single(Rows(page, "source"));
        Assert.Equal($"localhost:{world.Dovecot.TlsPort}", Cell(row, "server"));
        Assert.NotNull(UseButton(row));
    }

    private static async Task<AdminPages> SignInAsync(PortalFactory portal)
    {
        var admin = AdminPages.Open(portal);
        await admin.LoginAsync();
        return admin;
    }

    private static async Task<IHtmlDocument> FindAsync(AdminPages admin, string side, string domain, string? pin = null,
        string? login = null, string? password = null, bool allowUnencrypted = false) =>
        await FindAsync(admin, await admin.Client.GetAsync("/Admin/Projects/Create"), side, domain, pin, login, password, allowUnencrypted);

    /// <summary>Types into the side's Find settings panel (and its pin field, when given) and presses its Find settings.</summary>
    private static async Task<IHtmlDocument> FindAsync(AdminPages admin, IHtmlDocument page, string side, string domain, string? pin = null,
        string? login = null, string? password = null, bool allowUnencrypted = false)
    {
        var fields = new Dictionary<string, string>
        {
            [$"{side}Discovery.Domain"] = domain,
            [$"{side}Discovery.TestLogin"] = login ?? "",
            [$"{side}Discovery.TestPassword"] = password ?? "",
            [$"{side}Discovery.AllowUnencrypted"] = allowUnencrypted.ToString(),
        };
        if (pin is not null)
            fields[$"Input.{side}CertificateSha256"] = pin;
        Fill(page, fields);
        var button = page.QuerySelector($"#{side.ToLowerInvariant()}-discovery button[name='side'][value='{side}']") as IHtmlButtonElement
            ?? throw new InvalidOperationException($"No Find settings button for {side}.");
        Assert.Equal("Find settings", button.TextContent.Trim());
        var found = await admin.Client.PressAsync(AdminPages.Form(page), button);
        Assert.Equal(HttpStatusCode.OK, admin.Client.LastResponse!.StatusCode);
        return found;
    }

    private static void Fill(IHtmlDocument page, Dictionary<string, string> fields)
    {
        var form = AdminPages.Form(page);
        foreach (var (name, value) in fields)
        {
            var elements = form.Elements.Where(e => e.GetAttribute("name") == name).ToList();
            Assert.True(elements.Count > 0, $"The form has no field named {name}.");
            foreach (var element in elements)
            {
                switch (element)
                {
                    case IHtmlInputElement { Type: "checkbox" } box: box.IsChecked = bool.Parse(value); break;
                    case IHtmlInputElement { Type: "hidden" }: break;
                    case IHtmlInputElement input: input.Value = value; break;
                }
            }
        }
    }

    private static List<IElement> Rows(IHtmlDocument page, string side) =>
        page.QuerySelectorAll($"#{side}-found table.proposals tbody tr").ToList();

    private static List<string> Steps(IHtmlDocument page, string side) =>
        page.QuerySelectorAll($"#{side}-found ul.steps li").Select(li => li.TextContent.Trim()).ToList();

    private static string Cell(IElement row, string cell) =>
        string.Join(' ', row.QuerySelector($"td.{cell}")!.TextContent.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    private static IHtmlButtonElement? UseButton(IElement row) =>
        row.QuerySelectorAll("button").OfType<IHtmlButtonElement>().SingleOrDefault(b => b.TextContent.Trim() == "Use these settings");

    private static string Value(IHtmlDocument page, string name) =>
        ((IHtmlInputElement)page.QuerySelector($"input[name='{name}']")!).Value;

    private static string ServerCertificatesFormat(string sha256) =>
        string.Join(':', Enumerable.Range(0, sha256.Length / 2).Select(i => sha256.Substring(i * 2, 2)));
}
