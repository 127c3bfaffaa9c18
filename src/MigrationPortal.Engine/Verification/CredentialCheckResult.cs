namespace MigrationPortal.Engine.Verification;

public enum CredentialCheckOutcome
{
    /// <summary>The server accepted the login and password.</summary>
    Accepted,

    /// <summary>The server was reached and refused the login or password.</summary>
    Rejected,

    /// <summary>The credentials could not be checked: no connection, no answer, TLS or protocol failure.</summary>
    Unreachable,
}

/// <param name="ServerMessage">
/// Why, in words fit for the person who typed the credentials: the connection error naming host:port for
/// <see cref="CredentialCheckOutcome.Unreachable"/>, the server's refusal for <see cref="CredentialCheckOutcome.Rejected"/>,
/// null when accepted. Never contains the password.
/// </param>
public sealed record CredentialCheckResult(CredentialCheckOutcome Outcome, string? ServerMessage);
