using System.Globalization;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Imap;

namespace MigrationPortal.Web.Projects.Discovery;

/// <param name="Domain">As the admin typed it.</param>
/// <param name="AllowUnencrypted">The admin ticked "Allow endpoints without encryption".</param>
/// <param name="TestLogin">Tried on each endpoint that connects; never stored or logged.</param>
/// <param name="CertificateSha256">The side's pinned certificate, validated as a pass would validate it.</param>
public sealed record DiscoveryRequest(string? Domain, bool AllowUnencrypted, ImapLogin? TestLogin, string? CertificateSha256)
{
    // A record prints its members: keep the password out of any log or message that prints a request.
    public override string ToString() => $"DiscoveryRequest {{ Domain = {Domain}, AllowUnencrypted = {AllowUnencrypted} }}";
}

/// <summary>
/// Find settings: IMAP endpoints for an email domain from autoconfig, then RFC 6186 SRV records, then guesses from MX,
/// each checked by a real connection through the engine's connector (its TLS and certificate rules) before the admin
/// may use it. A later source is asked only when the earlier ones gave nothing that connects.
/// </summary>
public sealed partial class ServerSettingsDiscovery(
    AutoconfigClient autoconfig, DiscoveryDns dns, IOptions<DiscoveryOptions> options, TimeProvider time, ILogger<ServerSettingsDiscovery> logger)
{
    private const int ChecksAtOnce = 4;
    private const int MaxMxHosts = 2;

    public async Task<DiscoveryReport> DiscoverAsync(DiscoveryRequest request, CancellationToken ct)
    {
        var domain = MailDomain.Parse(request.Domain, out var error);
        if (domain is null)
            return new DiscoveryReport(null, error, [], []);

        var settings = options.Value;
        var connector = new ImapConnector(settings.ConnectTimeout);
        using var budget = new CancellationTokenSource(settings.TotalTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, budget.Token);
        var steps = new List<string>();
        var results = new List<CheckedProposal>();
        var sources = new Func<CancellationToken, Task<IReadOnlyList<Proposal>>>[]
        {
            token => autoconfig.FindAsync(domain, steps, token),
            token => SrvAsync(domain, request.AllowUnencrypted, steps, token),
            token => MxGuessesAsync(domain, steps, token),
        };
        try
        {
            foreach (var source in sources)
            {
                var found = (await source(linked.Token))
                    .Where(p => !results.Any(r => Same(r.Proposal, p)))
                    .DistinctBy(p => (p.Host, p.Port, p.Security))
                    .ToList();
                results.AddRange(await CheckAllAsync(found, request, connector, ct, linked.Token));
                if (results.Any(r => r.CanBeUsed))
                    break;
            }
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            steps.Add(string.Create(CultureInfo.InvariantCulture,
                $"The search stopped after {settings.TotalTimeout.TotalSeconds:0.#} s; what was found by then is shown."));
        }
        if (results.Count == 0)
            steps.Add($"Nothing was found for {domain}: type the server's host, port and security yourself.");
        LogDiscovered(logger, domain, results.Count, results.Count(r => r.CanBeUsed));
        return new DiscoveryReport(domain, null, steps, results);
    }

    private async Task<IReadOnlyList<CheckedProposal>> CheckAllAsync(
        IReadOnlyList<Proposal> proposals, DiscoveryRequest request, ImapConnector connector, CancellationToken ct, CancellationToken budget)
    {
        using var slots = new SemaphoreSlim(ChecksAtOnce);
        var checks = proposals.Select(async proposal =>
        {
            try
            {
                await slots.WaitAsync(budget);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new CheckedProposal(proposal, ProposalStatus.NotChecked, "Not tried: the search ran out of time.");
            }
            try
            {
                return await CheckAsync(proposal, request, connector, ct, budget);
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        return await Task.WhenAll(checks);
    }

    private static async Task<CheckedProposal> CheckAsync(
        Proposal proposal, DiscoveryRequest request, ImapConnector connector, CancellationToken ct, CancellationToken budget)
    {
        if (proposal.Security == TlsMode.None && !request.AllowUnencrypted)
            return new CheckedProposal(proposal, ProposalStatus.NotOffered,
                "Not offered: it has no encryption, so the login and all mail would cross the network readable by anyone on the way. " +
                "Tick \"Allow endpoints without encryption\" to check and use it.");
        // The side's pin, as a pass would use it; a pin means nothing without TLS.
        var endpoint = new ImapEndpoint(proposal.Host, proposal.Port, proposal.Security,
            proposal.Security == TlsMode.None ? null : request.CertificateSha256);
        try
        {
            if (request.TestLogin is { } login)
            {
                await using var session = await connector.ConnectAsync(endpoint, login, budget);
                return new CheckedProposal(proposal, ProposalStatus.LoginAccepted, "Connected, and the test login was accepted.");
            }
            var capabilities = await connector.ProbeAsync(endpoint, budget);
            return new CheckedProposal(proposal, ProposalStatus.Verified, capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.LoginDisabled)
                ? "Connected, but the server says it does not accept logins on this connection (LOGINDISABLED)."
                : "Connected; no login tried (type a test login to try one).");
        }
        catch (ImapConnectException e) when (e.Failure == ImapConnectFailure.Rejected)
        {
            return new CheckedProposal(proposal, ProposalStatus.LoginRefused, $"Connected, but the server refused the test login: {e.Message}");
        }
        catch (ImapConnectException e)
        {
            return new CheckedProposal(proposal, ProposalStatus.Unreachable, e.Message);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return new CheckedProposal(proposal, ProposalStatus.NotChecked, "Not finished: the search ran out of time.");
        }
    }

    /// <summary>RFC 6186: <c>_imaps._tcp</c> is implicit TLS, <c>_imap._tcp</c> STARTTLS (or plain text, when allowed).</summary>
    private async Task<IReadOnlyList<Proposal>> SrvAsync(string domain, bool allowUnencrypted, List<string> steps, CancellationToken ct)
    {
        var proposals = new List<Proposal>();
        foreach (var (service, security) in new[] { ("_imaps._tcp", TlsMode.Tls), ("_imap._tcp", TlsMode.StartTls) })
        {
            var name = $"{service}.{domain}";
            var (records, failure) = await dns.QueryAsync<SrvRecord>(name, QueryType.SRV, ct);
            if (failure is not null)
            {
                steps.Add($"SRV {name}: {failure}");
                continue;
            }
            if (records.Count == 0)
            {
                steps.Add($"SRV {name}: no record");
                continue;
            }
            // RFC 2782: a lone record with the target "." says the service is decidedly not available.
            if (records.All(r => Host(r.Target) == ""))
            {
                steps.Add($"SRV {name}: the domain says this service is not offered (target \".\")");
                continue;
            }
            // Lowest priority first; within one priority the heavier weight first (the one most clients would pick).
            var usable = records.Where(r => Host(r.Target) != "" && r.Port > 0)
                .OrderBy(r => r.Priority).ThenByDescending(r => r.Weight).ThenBy(r => Host(r.Target), StringComparer.Ordinal)
                .Take(10).ToList();
            steps.Add($"SRV {name}: {usable.Count} record{(usable.Count == 1 ? "" : "s")}");
            foreach (var record in usable)
            {
                var host = Host(record.Target);
                if (!MailDomain.IsHostName(host))
                    continue;
                var origin = string.Create(CultureInfo.InvariantCulture, $"SRV {name} (priority {record.Priority}, weight {record.Weight})");
                proposals.Add(new Proposal(host, record.Port, security, origin));
                if (security == TlsMode.StartTls && allowUnencrypted)
                    proposals.Add(new Proposal(host, record.Port, TlsMode.None, origin));
            }
        }
        return proposals;
    }

    /// <summary>The usual names when the domain publishes nothing: imap.&lt;domain&gt; when it exists, and the mail exchangers themselves.</summary>
    private async Task<IReadOnlyList<Proposal>> MxGuessesAsync(string domain, List<string> steps, CancellationToken ct)
    {
        var proposals = new List<Proposal>();
        var imapHost = $"imap.{domain}";
        if ((await dns.AddressesAsync(imapHost, ct)).Count > 0)
            proposals.AddRange(Guesses(imapHost, $"guess: {imapHost} has an address in DNS"));
        else
            steps.Add($"guess: {imapHost} has no address in DNS");

        var (records, failure) = await dns.QueryAsync<MxRecord>(domain, QueryType.MX, ct);
        if (failure is not null)
            steps.Add($"MX {domain}: {failure}");
        else if (records.Count == 0)
            steps.Add($"MX {domain}: no record");
        else if (records.All(r => Host(r.Exchange) == ""))
            steps.Add($"MX {domain}: the domain says it receives no mail (null MX)");
        else
        {
            var hosts = records.Where(r => Host(r.Exchange) != "").OrderBy(r => r.Preference).Select(r => Host(r.Exchange))
                .Where(MailDomain.IsHostName).Distinct(StringComparer.Ordinal).Take(MaxMxHosts).ToList();
            steps.Add($"MX {domain}: {string.Join(", ", hosts)}");
            foreach (var host in hosts)
                proposals.AddRange(Guesses(host, $"guess from MX {host}"));
        }
        return proposals;
    }

    private static IEnumerable<Proposal> Guesses(string host, string origin) =>
        [new Proposal(host, 993, TlsMode.Tls, origin), new Proposal(host, 143, TlsMode.StartTls, origin)];

    private static string Host(DnsString name) => name.Value.TrimEnd('.').ToLowerInvariant();

    private static bool Same(Proposal a, Proposal b) =>
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port && a.Security == b.Security;

    [LoggerMessage(Level = LogLevel.Information, Message = "Find settings for {Domain}: {Found} endpoints proposed, {Usable} connected")]
    private static partial void LogDiscovered(ILogger logger, string domain, int found, int usable);
}
