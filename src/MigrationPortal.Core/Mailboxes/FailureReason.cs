namespace MigrationPortal.Core.Mailboxes;

public enum FailureKind
{
    SourceCredentials = 1,
    DestinationCredentials = 2,
    SourceAndDestinationCredentials = 3,
    SourceUnreachable = 4,
    DestinationUnreachable = 5,
    MigrationError = 6,

    /// <summary>What it needed was encrypted with keys the portal lost: its stored passwords, or its emailed link.</summary>
    EncryptionKeysLost = 7,

    /// <summary>A side that logs in with tokens: the provider gave no token, or the server refused it (the detail says which, in their words).</summary>
    SourceSignIn = 8,
    DestinationSignIn = 9,
}

/// <summary>Why an item is Failed, in words an admin can act on.</summary>
public sealed record FailureReason
{
    public const int MaxDetailLength = 2000;

    private FailureReason(FailureKind kind, string? detail)
    {
        Kind = kind;
        Detail = detail is { Length: > MaxDetailLength } ? detail[..MaxDetailLength] : detail;
    }

    public FailureKind Kind { get; }

    /// <summary>The server's answer or the error message, when the kind needs one.</summary>
    public string? Detail { get; }

    public static FailureReason WrongCredentials(bool source, bool destination) => (source, destination) switch
    {
        (true, true) => new(FailureKind.SourceAndDestinationCredentials, null),
        (true, false) => new(FailureKind.SourceCredentials, null),
        (false, true) => new(FailureKind.DestinationCredentials, null),
        _ => throw new ArgumentException("At least one side must have wrong credentials."),
    };

    public static FailureReason SourceUnreachable(string serverAnswer) => new(FailureKind.SourceUnreachable, serverAnswer);
    public static FailureReason DestinationUnreachable(string serverAnswer) => new(FailureKind.DestinationUnreachable, serverAnswer);
    public static FailureReason MigrationError(string message) => new(FailureKind.MigrationError, message);
    /// <param name="providerAnswer">The token endpoint's or the IMAP server's words.</param>
    public static FailureReason SignInRefused(bool source, string providerAnswer) =>
        new(source ? FailureKind.SourceSignIn : FailureKind.DestinationSignIn, providerAnswer);

    public static FailureReason EncryptionKeysLost() => new(FailureKind.EncryptionKeysLost, null);

    /// <summary>Rebuilds a stored reason; the database keeps kind and detail apart.</summary>
    public static FailureReason FromStored(FailureKind kind, string? detail) => new(kind, detail);

    public string Text => Kind switch
    {
        FailureKind.SourceCredentials => "Source credentials are incorrect",
        FailureKind.DestinationCredentials => "Destination credentials are incorrect",
        FailureKind.SourceAndDestinationCredentials => "Source credentials are incorrect; Destination credentials are incorrect",
        FailureKind.SourceUnreachable => $"Source server unreachable: {Detail}",
        FailureKind.DestinationUnreachable => $"Destination server unreachable: {Detail}",
        FailureKind.MigrationError => $"Migration error: {Detail}",
        FailureKind.SourceSignIn => $"Source sign-in refused: {Detail}",
        FailureKind.DestinationSignIn => $"Destination sign-in refused: {Detail}",
        FailureKind.EncryptionKeysLost =>
            "The portal's encryption keys were lost, so its stored credentials or its emailed link can no longer be read: Start it again to ask for them",
        _ => Detail ?? Kind.ToString(),
    };

    public override string ToString() => Text;
}
