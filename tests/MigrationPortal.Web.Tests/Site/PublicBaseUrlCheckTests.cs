using System.Net;
using System.Net.Sockets;
using MigrationPortal.Web.Tests.Infrastructure;

namespace MigrationPortal.Web.Tests.Site;

/// <summary>
/// Emailed links are built from Portal:PublicBaseUrl; a portal listening somewhere else says so in its start-up log.
/// These run the portal on a real loopback Kestrel port (a TestServer has no addresses to compare with).
/// </summary>
public sealed class PublicBaseUrlCheckTests
{
    [Theory]
    [InlineData("http://localhost:{port}", false)]
    [InlineData("http://127.0.0.1:{port}/", false)]
    [InlineData("http://portal.test", true)]
    [InlineData("https://127.0.0.1:{port}", true)]
    [InlineData("http://127.0.0.1:{otherPort}", true)]
    public async Task Start_PublicBaseUrlAgainstListeningAddress_WarnsOnlyWhenNoneMatches(string publicBaseUrl, bool warns)
    {
        var port = MigrationPortal.Fixtures.LoopbackPort.Free();
        var configured = publicBaseUrl.Replace("{port}", port.ToString()).Replace("{otherPort}", (port == 65535 ? port - 1 : port + 1).ToString());
        await using var portal = new PortalFactory(new Dictionary<string, string?> { ["Portal:PublicBaseUrl"] = configured });
        portal.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));

        portal.StartServer();

        var warnings = portal.LogLines.Where(l => l.StartsWith("Warning") && l.Contains("Portal:PublicBaseUrl")).ToList();
        if (warns)
        {
            var warning = Assert.Single(warnings);
            Assert.Contains(configured, warning);
            Assert.Contains($"http://127.0.0.1:{port}", warning);
            Assert.Contains("reverse proxy", warning);
        }
        else
        {
            Assert.Empty(warnings);
        }
    }
}
