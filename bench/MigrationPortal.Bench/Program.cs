using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MigrationPortal.Bench;

// bench/imap.sh's helpers. Passwords come from BENCH_PASSWORD (all benchmark users share it).
var password = Environment.GetEnvironmentVariable("BENCH_PASSWORD") ?? "";
string Option(string name, string? fallback = null)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"{name} is required.");
}
int Number(string name, int fallback) => int.Parse(Option(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
bool Flag(string name) => args.Contains(name);

switch (args.FirstOrDefault())
{
    case "corpus" when Flag("--maildir"):
    {
        // corpus --maildir DIR --count N [--seed S] [--small]
        var (messages, bytes) = MaildirWriter.Write(Option("--maildir"), new Corpus(Number("--seed", 1), Flag("--small")), Number("--count", 5000));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"corpus: {messages} messages, {bytes / 1e6:0.0} MB (CRLF), mean {(messages == 0 ? 0 : bytes / messages / 1024.0):0.0} KB, {Corpus.FolderPlan.Length} folders"));
        return 0;
    }
    case "corpus":
    {
        // corpus --imap HOST:PORT --user U --first I --count N [--seed S] [--small]: new mail on a running server
        var account = Account.Parse(Option("--imap"), Option("--user"), password);
        var added = await ImapAppender.AppendAsync(account, new Corpus(Number("--seed", 1), Flag("--small")), Number("--first", 0), Number("--count", 50));
        Console.WriteLine($"corpus: appended {added} messages to {account}");
        return 0;
    }
    case "verify":
        // verify --source HOST:PORT --source-user U --destination HOST:PORT --destination-user V [--hashes]
        return await Verifier.RunAsync(Account.Parse(Option("--source"), Option("--source-user"), password),
            Account.Parse(Option("--destination"), Option("--destination-user"), password), Flag("--hashes"), Console.Out);
    case "ceiling":
    {
        // ceiling --source HOST:PORT --source-user U --destination HOST:PORT --destination-user V [--folders-at-once N]
        // Prints "MESSAGES BYTES SECONDS LANES" (LANES: the connection pairs it copied over).
        var (messages, bytes, elapsed, lanes) = await Ceiling.RunAsync(Account.Parse(Option("--source"), Option("--source-user"), password),
            Account.Parse(Option("--destination"), Option("--destination-user"), password), Number("--folders-at-once", 2));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{messages} {bytes} {elapsed.TotalSeconds:0.000} {lanes}"));
        return 0;
    }
    case "ports":
    {
        // Free loopback ports, held together while picked so they differ.
        var listeners = Enumerable.Range(0, Number("--count", 2)).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        Console.WriteLine(string.Join(' ', listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)));
        listeners.ForEach(l => l.Stop());
        return 0;
    }
    case "portal":
    {
        // portal --url URL --source HOST:PORT --source-user U --destination HOST:PORT --destination-users V1,V2,...
        //        [--max-concurrent N] [--pass Full] [--then-delta] [--timeout-minutes M]
        // The admin's login comes from PORTAL_ADMIN_EMAIL / PORTAL_ADMIN_PASSWORD, the mailboxes' from BENCH_PASSWORD.
        // Prints one line per mailbox, "USER OUTCOME KIND COPIED SECONDS" (the pass as the portal reports it), then "wall SECONDS";
        // with --then-delta, once every pass has ended, Starts a Delta on the same mailboxes and prints its lines prefixed "delta ".
        var source = Account.Parse(Option("--source"), Option("--source-user"), password);
        var destination = Account.Parse(Option("--destination"), "-", password);
        var users = Option("--destination-users").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var settings = new PortalRun.Settings(new Uri(Option("--url")),
            Environment.GetEnvironmentVariable("PORTAL_ADMIN_EMAIL") ?? throw new ArgumentException("PORTAL_ADMIN_EMAIL is not set."),
            Environment.GetEnvironmentVariable("PORTAL_ADMIN_PASSWORD") ?? throw new ArgumentException("PORTAL_ADMIN_PASSWORD is not set."),
            password, (source.Host, source.Port), source.User, (destination.Host, destination.Port), users,
            Number("--max-concurrent", users.Length), Option("--pass", "Full"), TimeSpan.FromMinutes(Number("--timeout-minutes", 60)));
        var rounds = await PortalRun.RunAsync(settings, Console.Error, Flag("--then-delta") ? "Delta" : null);
        var ok = true;
        for (var round = 0; round < rounds.Count; round++)
        {
            var (passes, wall) = rounds[round];
            var prefix = round == 0 ? "" : "delta ";
            foreach (var p in passes)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}{p.DestinationUser} {p.Outcome.Replace(' ', '_')} {p.Kind.Replace(' ', '_')} {p.Copied} {p.Seconds:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}wall {wall:0.00}"));
            ok &= passes.All(p => p.Outcome == "Completed" && p.Kind == (round == 0 ? settings.PassKind : "Delta"));
        }
        return ok ? 0 : 1;
    }
    default:
        Console.Error.WriteLine("usage: MigrationPortal.Bench corpus|verify|ceiling|ports|portal ... (see bench/imap.sh)");
        return 2;
}
