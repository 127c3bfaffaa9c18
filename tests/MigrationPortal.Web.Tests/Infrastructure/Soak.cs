namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// The long variants of the hardening tests: with <c>MIGRATIONPORTAL_SOAK=1</c> in the environment (for example
/// <c>MIGRATIONPORTAL_SOAK=1 ./test.sh</c>) the races run many more trials, the form abuse many more posts, the link
/// attack many more tokens and the outbox kill many more emails. Off by default, so the suite stays a few minutes.
/// </summary>
public static class Soak
{
    public const string Switch = "MIGRATIONPORTAL_SOAK";

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable(Switch) is "1" or "true";

    /// <summary><paramref name="usual"/>, or <paramref name="usual"/> × <paramref name="factor"/> when soaking.</summary>
    public static int Scale(int usual, int factor = 10) => Enabled ? usual * factor : usual;
}
