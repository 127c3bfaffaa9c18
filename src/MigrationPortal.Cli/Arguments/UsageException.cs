namespace MigrationPortal.Cli.Arguments;

/// <summary>The command line cannot be run as given; the message says why and never repeats a password.</summary>
public sealed class UsageException(string message) : Exception(message);
