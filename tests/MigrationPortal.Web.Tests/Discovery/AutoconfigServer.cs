using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MigrationPortal.Web.Tests.Discovery;

/// <summary>
/// A real HTTPS server on a loopback port (Kestrel) serving autoconfig files by host name and path, with a certificate
/// made for the run: the portal trusts it through <c>Discovery:TrustedCertificateSha256</c>, as a self-hoster would an
/// internal autoconfig server's.
/// </summary>
public sealed class AutoconfigServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Host, string Path), Func<HttpContext, Task>> _answers = new();
    private WebApplication? _app;

    public int Port { get; private set; }
    public string CertificateSha256 { get; private set; } = "";

    /// <summary>Every request, as host path.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public async Task StartAsync()
    {
        using var certificate = MakeCertificate();
        CertificateSha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var kestrelCertificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(kestrelCertificate)));
        var app = builder.Build();
        app.Run(async context =>
        {
            var host = context.Request.Host.Host.ToLowerInvariant();
            Requests.Enqueue($"{host} {context.Request.Path}{context.Request.QueryString}");
            if (_answers.TryGetValue((host, context.Request.Path.Value ?? ""), out var answer))
                await answer(context);
            else
                context.Response.StatusCode = StatusCodes.Status404NotFound;
        });
        await app.StartAsync();
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Port = new Uri(address).Port;
    }

    /// <summary>Serves this text at https://host/path.</summary>
    public void Serve(string host, string path, string body, string contentType = "application/xml") =>
        Answer(host, path, context =>
        {
            context.Response.ContentType = contentType;
            return context.Response.WriteAsync(body);
        });

    public void Answer(string host, string path, Func<HttpContext, Task> answer) => _answers[(host.ToLowerInvariant(), path)] = answer;

    /// <summary>A config-v1.1.xml listing these incoming servers.</summary>
    public static string ConfigXml(params (string Type, string Host, int Port, string SocketType)[] servers) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <clientConfig version="1.1">
          <emailProvider id="example">
            <domain>example</domain>
            <displayName>Example mail</displayName>
            {string.Concat(servers.Select(s => $"""
            <incomingServer type="{s.Type}">
              <hostname>{s.Host}</hostname>
              <port>{s.Port}</port>
              <socketType>{s.SocketType}</socketType>
              <username>%EMAILADDRESS%</username>
              <authentication>password-cleartext</authentication>
            </incomingServer>
            """))}
          </emailProvider>
        </clientConfig>
        """;

    private static X509Certificate2 MakeCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=autoconfig test server", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }
}
