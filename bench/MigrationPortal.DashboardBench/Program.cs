using System.Globalization;
using MigrationPortal.DashboardBench;

// dashboard --portal DIR --database sqlite|postgres --mailboxes N --work DIR
// Prints "P50_MS P99_MS START_SECONDS EMAIL_SECONDS EMAILS", then the wrk line (or "wrk n/a"); the steps go to stderr.
string Option(string name, string? fallback = null)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"{name} is required.");
}
var mailboxes = int.Parse(Option("--mailboxes", "10000"), CultureInfo.InvariantCulture);
var database = Option("--database");
if (database is not ("sqlite" or "postgres")) throw new ArgumentException("--database is sqlite or postgres.");
var result = await DashboardRun.RunAsync(new DashboardRun.Settings(Option("--portal"), database, mailboxes, Option("--work"), Console.Error));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{result.P50Ms:0.0} {result.P99Ms:0.0} {result.StartSeconds:0.00} {result.AllStartedSeconds:0.0} {result.EmailSeconds:0.0} {result.Emails}"));
Console.WriteLine(result.Wrk ?? "wrk n/a");
return result.Emails == mailboxes / 2 ? 0 : 1;
