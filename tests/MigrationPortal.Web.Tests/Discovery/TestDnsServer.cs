using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace MigrationPortal.Web.Tests.Discovery;

/// <summary>
/// A real DNS server on a loopback port (ARSoft.Tools.Net's DnsServer, UDP and TCP) answering from records the test
/// adds: the portal's resolver is pointed at it through <c>Discovery:DnsServers</c>. A name with no record of any type
/// is NXDOMAIN.
/// </summary>
public sealed class TestDnsServer : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly DnsServer _server;

    public TestDnsServer()
    {
        for (var attempt = 1; ; attempt++)
        {
            Port = FreeUdpAndTcpPort();
            var endpoint = new IPEndPoint(IPAddress.Loopback, Port);
            var server = new DnsServer(new UdpServerTransport(endpoint, 2000), new TcpServerTransport(endpoint, 2000, 2000));
            server.QueryReceived += OnQueryReceivedAsync;
            try
            {
                server.Start();
                _server = server;
                return;
            }
            catch (SocketException) when (attempt < 5)
            {
                server.Stop();
            }
        }
    }

    public int Port { get; private set; }

    /// <summary>For <c>Discovery:DnsServers</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Every name asked, in order.</summary>
    public ConcurrentQueue<string> Questions { get; } = new();

    public void AddA(string name, IPAddress address) => Add(new ARecord(DomainName.Parse(name), 60, address));

    public void AddMx(string domain, ushort preference, string exchange) =>
        Add(new MxRecord(DomainName.Parse(domain), 60, preference, DomainName.Parse(exchange)));

    /// <param name="target">"." says the service is not offered.</param>
    public void AddSrv(string name, ushort priority, ushort weight, int port, string target) =>
        Add(new SrvRecord(DomainName.Parse(name), 60, priority, weight, (ushort)port, target == "." ? DomainName.Root : DomainName.Parse(target)));

    private void Add(DnsRecordBase record) =>
        _records.GetOrAdd(record.Name.ToString().TrimEnd('.'), _ => []).Add(record);

    private Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query)
            return Task.CompletedTask;
        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        foreach (var question in query.Questions)
        {
            var name = question.Name.ToString().TrimEnd('.');
            Questions.Enqueue($"{name} {question.RecordType}");
            if (!_records.TryGetValue(name, out var records))
            {
                response.ReturnCode = ReturnCode.NxDomain;
                continue;
            }
            response.AnswerRecords.AddRange(records.Where(r => r.RecordType == question.RecordType));
        }
        e.Response = response;
        return Task.CompletedTask;
    }

    private static int FreeUdpAndTcpPort()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)udp.LocalEndPoint!).Port;
    }

    public void Dispose() => _server.Stop();
}
