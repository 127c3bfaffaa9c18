using MigrationPortal.Email;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

namespace MigrationPortal.Web.Mailboxes.BulkAdd;

/// <summary>A row that will not be added: the line it starts on, its addresses as written (shortened), and why.</summary>
public sealed record BadRow(long Line, string Source, string Destination, string Reason);

/// <summary>The two MigrationWiz checkboxes: a side the admin does not know is asked of the mailbox user on Start.</summary>
public sealed record BulkAddChoices(bool SourceUnknown, bool DestinationUnknown);

/// <summary>What the file would add, shown before anything is: every bad row with its reason, and the rows ready to add.</summary>
public sealed record BulkAddPreview(
    BulkAddChoices Choices,
    MigrationWizColumns Columns,
    IReadOnlyList<BadRow> BadRows,
    IReadOnlyList<BulkAddRow> ValidRows,
    int RowsWithFlags,
    int SourceCredentialsIgnored,
    int DestinationCredentialsIgnored,
    int EmptyRows)
{
    /// <summary>The valid rows, protected for the confirm (<see cref="BulkAddPayload"/>); null when there are none.</summary>
    public string? Payload { get; init; }

    /// <summary>
    /// Checks every row against the rules of the Add mailbox form and the project's duplicate rule, then protects the
    /// passwords of the rows that pass. The existing pairs are read once by the caller; the file's own rows are
    /// compared in memory, so 10,000 rows cost one query.
    /// </summary>
    public static BulkAddPreview Check(MigrationWizFile file, BulkAddChoices choices, MailboxPairs existing, IPasswordProtector passwords)
    {
        var bad = new List<BadRow>(file.BrokenRows);
        var ready = new List<(long Line, Side Source, Side Destination, string Notify)>();
        var firstLines = new Dictionary<string, long>(MailboxPairs.Comparer);
        int flags = 0, sourceIgnored = 0, destinationIgnored = 0;
        foreach (var row in file.Rows)
        {
            if (row.Flags.Trim().Length > 0) flags++;
            if (choices.SourceUnknown && HasCredentials(row.SourceLogin, row.SourcePassword)) sourceIgnored++;
            if (choices.DestinationUnknown && HasCredentials(row.DestinationLogin, row.DestinationPassword)) destinationIgnored++;

            var reasons = new List<string>();
            var source = CheckSide("source", "Source", row.SourceEmail, row.SourceLogin, row.SourcePassword, choices.SourceUnknown, reasons);
            var destination = CheckSide("destination", "Destination", row.DestinationEmail, row.DestinationLogin, row.DestinationPassword,
                choices.DestinationUnknown, reasons);
            var notify = row.NotifyEmail.Trim().Length > 0
                ? CheckEmail("notify email", row.NotifyEmail, Mailbox.MaxNotifyLength, reasons)
                : source?.Email;
            // Checked now, not at Start: an address a mail program reads otherwise would only be refused there.
            if (notify is not null && !CredentialRequestEmail.CanSendTo(notify))
            {
                reasons.Add(CredentialRequestEmail.CannotSendTo(notify));
                notify = null;
            }
            if (reasons.Count == 0 && source is { } s && destination is { } d && notify is not null)
            {
                // Only rows that are otherwise fine claim their pair: a later row is not refused for an earlier bad one.
                var pair = MailboxPairs.Key(s.Email, d.Email);
                if (existing.Refusal(s.Email, d.Email) is { } duplicate)
                    reasons.Add(duplicate);
                else if (!firstLines.TryAdd(pair, row.Line))
                    reasons.Add($"The same source and destination as line {firstLines[pair]:N0}.");
                else
                    ready.Add((row.Line, s, d, notify));
            }
            if (reasons.Count > 0)
                bad.Add(new BadRow(row.Line, Shorten(row.SourceEmail), Shorten(row.DestinationEmail), string.Join(" ", reasons)));
        }

        // Only now, and only for the rows that will be offered: each password becomes the ciphertext the mailbox stores.
        var valid = ready.Select(r => BulkAddRow.From(r.Line, r.Source.Protect(passwords), r.Destination.Protect(passwords), r.Notify)).ToList();
        return new BulkAddPreview(choices, file.Columns, bad.OrderBy(b => b.Line).ToList(), valid, flags, sourceIgnored, destinationIgnored, file.EmptyRows);
    }

    /// <summary>One side of a row that passed the checks; the password is still clear text, so it is never printed.</summary>
    private sealed class Side(string email, string? login, string? password)
    {
        public string Email { get; } = email;

        public MailboxCredentials Protect(IPasswordProtector passwords) =>
            new(Email, login, password is null ? null : passwords.Protect(password));
    }

    private static bool HasCredentials(string login, string password) => login.Trim().Length > 0 || password.Length > 0;

    /// <summary>The rules of <see cref="MailboxInput"/>: a known side needs its password; the login name defaults to the address.</summary>
    private static Side? CheckSide(string side, string column, string emailValue, string loginValue, string password, bool unknown, List<string> reasons)
    {
        var email = CheckEmail($"{side} email", emailValue, MailboxCredentials.MaxEmailLength, reasons);
        if (unknown)
            return email is null ? null : new Side(email, null, null);

        var before = reasons.Count;
        var login = loginValue.Trim();
        if (login.Length > MailboxCredentials.MaxLoginLength)
            reasons.Add($"The {side} login name is longer than {MailboxCredentials.MaxLoginLength} characters.");
        else if (login.Any(char.IsControl))
            reasons.Add($"The {side} login name contains control characters.");
        // As the Add form: a password is kept exactly as typed, spaces included; only an empty one is missing.
        if (password.Length == 0)
            reasons.Add($"The {side} password is missing: fill it in, or check “I don't know the login name and password for the {column} mailboxes”.");
        else if (password.Length > MailboxInput.MaxPasswordLength)
            reasons.Add($"The {side} password is longer than {MailboxInput.MaxPasswordLength:N0} characters.");
        if (email is null || reasons.Count > before)
            return null;
        return new Side(email, login.Length == 0 ? email : login, password);
    }

    private static string? CheckEmail(string what, string value, int maxLength, List<string> reasons)
    {
        var email = value.Trim();
        if (email.Length == 0)
        {
            reasons.Add($"The {what} is missing.");
            return null;
        }
        if (email.Length > maxLength)
        {
            reasons.Add($"The {what} is longer than {maxLength} characters.");
            return null;
        }
        try
        {
            // The domain's own rule for an address, the one Add and Edit end in.
            _ = new MailboxCredentials(email, null, null);
            return email;
        }
        catch (DomainValidationException)
        {
            reasons.Add($"The {what} “{Shorten(email)}” is not a valid email address.");
            return null;
        }
    }

    /// <summary>Addresses as the preview shows them: a 5,000-character cell is cut, not printed whole.</summary>
    private static string Shorten(string value)
    {
        var text = value.Trim();
        return text.Length <= 80 ? text : text[..79] + "…";
    }
}
