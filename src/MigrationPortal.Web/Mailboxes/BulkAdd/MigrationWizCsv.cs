using CsvHelper;

namespace MigrationPortal.Web.Mailboxes.BulkAdd;

/// <summary>
/// One mailbox row of the file as written (blank for a column the file does not have), and the physical line it
/// starts on, the header being line 1. A class, not a record: a record's ToString would print the passwords.
/// </summary>
public sealed class CsvMailboxRow(long line, string sourceEmail, string sourceLogin, string sourcePassword,
    string destinationEmail, string destinationLogin, string destinationPassword, string notifyEmail, string flags)
{
    public long Line { get; } = line;
    public string SourceEmail { get; } = sourceEmail;
    public string SourceLogin { get; } = sourceLogin;
    public string SourcePassword { get; } = sourcePassword;
    public string DestinationEmail { get; } = destinationEmail;
    public string DestinationLogin { get; } = destinationLogin;
    public string DestinationPassword { get; } = destinationPassword;
    public string NotifyEmail { get; } = notifyEmail;
    public string Flags { get; } = flags;
}

/// <summary>Which of the optional columns the header has, and the columns it has that Bulk Add does not use.</summary>
public sealed record MigrationWizColumns(bool SourceLogin, bool SourcePassword, bool DestinationLogin, bool DestinationPassword,
    bool NotifyEmail, bool Flags, IReadOnlyList<string> Unused);

/// <summary>
/// What the file holds: its mailbox rows, the rows whose quoting is broken (only a line and a reason: their text
/// may hold a password), and how many rows were left empty.
/// </summary>
public sealed record MigrationWizFile(MigrationWizColumns Columns, IReadOnlyList<CsvMailboxRow> Rows, IReadOnlyList<BadRow> BrokenRows, int EmptyRows);

/// <summary>The file as a whole is refused (no header, a required column missing, too many rows); nothing of it is used.</summary>
public sealed class CsvFileRefusedException(string message) : Exception(message);

/// <summary>
/// Reads a mailbox list in MigrationWiz's Bulk Add column format with CsvHelper: comma-separated, a header row, only
/// the two Email columns required, header names matched without case or surrounding spaces, quoted fields that hold
/// commas or line breaks, an optional UTF-8 byte order mark.
/// </summary>
public static class MigrationWizCsv
{
    public const string SourceEmail = "Source Email";
    public const string SourceLogin = "Source Login Name";
    public const string SourcePassword = "Source Password";
    public const string DestinationEmail = "Destination Email";
    public const string DestinationLogin = "Destination Login Name";
    public const string DestinationPassword = "Destination Password";
    public const string Flags = "Flags";

    /// <summary>Not MigrationWiz's: who is emailed the credential link when it is not the source address.</summary>
    public const string NotifyEmail = "Notify Email";

    public static IReadOnlyList<string> KnownColumns { get; } =
        [SourceEmail, SourceLogin, SourcePassword, DestinationEmail, DestinationLogin, DestinationPassword, Flags, NotifyEmail];

    /// <summary>
    /// The longest row worth reading: the longest valid row is about 3.5 KB (five addresses and login names of 254
    /// characters, two passwords of 1,024, UTF-8). A quote that is never closed makes one row of the rest of the file;
    /// past this it is refused at once instead of being buffered whole.
    /// </summary>
    private const int MaxRowBytes = 64 * 1024;

    /// <exception cref="CsvFileRefusedException">The file cannot be used at all; the message says why.</exception>
    public static async Task<MigrationWizFile> ReadAsync(Stream csv, int maxRows, CancellationToken ct)
    {
        var broken = new List<BadRow>();
        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            HasHeader = true,
            AllowLineBreaksInQuotes = true,
            TrackLineNumbers = true,
            // Passwords are kept exactly as written: no trimming, and a row whose quoting is broken is refused rather
            // than guessed at (recovering "ab"c as abc would store a password the user never had).
            TrimWhitespace = false,
            MalformedData = CsvMalformedDataHandling.Skip,
            OnMalformedRecord = record => broken.Add(new BadRow(record.LineNumber, "", "", Describe(record.Reason))),
            MaxRecordSize = MaxRowBytes,
            // CsvHelper's messages would otherwise quote field values, and a field may be a password.
            IncludeValuesInExceptions = false,
        };
        try
        {
            await using var reader = CsvReader.Create(csv, options, leaveOpen: true);
            await reader.ReadHeaderAsync(ct);
            var columns = Columns(reader);
            int Index(string name, bool present) => present && reader.TryGetFieldIndex(name, out var index) ? index : -1;
            var sourceEmail = Index(SourceEmail, true);
            var destinationEmail = Index(DestinationEmail, true);
            var sourceLogin = Index(SourceLogin, columns.SourceLogin);
            var sourcePassword = Index(SourcePassword, columns.SourcePassword);
            var destinationLogin = Index(DestinationLogin, columns.DestinationLogin);
            var destinationPassword = Index(DestinationPassword, columns.DestinationPassword);
            var notifyEmail = Index(NotifyEmail, columns.NotifyEmail);
            var flags = Index(Flags, columns.Flags);
            string Field(int index) => index < 0 ? "" : reader.GetString(index);

            var rows = new List<CsvMailboxRow>();
            var empty = 0;
            while (await reader.ReadAsync(ct))
            {
                // Spreadsheets save rows they once formatted as ",,,,,,": not a mailbox, and not worth a complaint.
                if (Enumerable.Range(0, reader.FieldCount).All(i => reader.GetString(i).Trim().Length == 0))
                {
                    empty++;
                    continue;
                }
                if (rows.Count + broken.Count >= maxRows)
                    throw new CsvFileRefusedException(TooManyRows(maxRows));
                rows.Add(new CsvMailboxRow(reader.LineNumber, Field(sourceEmail), Field(sourceLogin), Field(sourcePassword),
                    Field(destinationEmail), Field(destinationLogin), Field(destinationPassword), Field(notifyEmail), Field(flags)));
            }
            if (rows.Count + broken.Count > maxRows)
                throw new CsvFileRefusedException(TooManyRows(maxRows));
            if (rows.Count + broken.Count == 0)
                throw new CsvFileRefusedException("The file has a header but no mailbox rows.");
            return new MigrationWizFile(columns, rows, broken, empty);
        }
        catch (CsvFormatException e)
        {
            // With values left out of CsvHelper's messages, what is left to say is where: no field value is quoted.
            throw new CsvFileRefusedException(e.LineNumber > 0
                ? $"Line {e.LineNumber:N0} could not be read: a quote opened there is never closed, or the row is longer than {MaxRowBytes / 1024} KB. Nothing was read from the file."
                : "The file could not be read as CSV. Nothing was read from it.");
        }
    }

    private static MigrationWizColumns Columns(CsvReader reader)
    {
        var headers = reader.Headers;
        if (headers.Count == 0 || headers.All(h => h.Trim().Length == 0))
            throw new CsvFileRefusedException($"The file is empty. Its first line must be the header: {string.Join(", ", KnownColumns.Take(7))}.");
        var missing = new[] { SourceEmail, DestinationEmail }.Where(name => !reader.TryGetFieldIndex(name, out _)).ToList();
        if (missing.Count > 0)
        {
            var columns = string.Join(" and ", missing.Select(name => $"“{name}”"));
            var hint = headers.Count == 1 && headers[0].Contains(';')
                ? " The header looks separated by semicolons: save the file as comma-separated CSV."
                : "";
            throw new CsvFileRefusedException(
                $"The file has no {columns} column. The first line must name the columns, at least “{SourceEmail}” and “{DestinationEmail}”.{hint}");
        }
        bool Has(string name) => reader.TryGetFieldIndex(name, out _);
        var unused = headers.Where(h => h.Trim().Length > 0 && !KnownColumns.Contains(h.Trim(), StringComparer.OrdinalIgnoreCase))
            .Select(h => h.Trim()).ToList();
        return new MigrationWizColumns(Has(SourceLogin), Has(SourcePassword), Has(DestinationLogin), Has(DestinationPassword),
            Has(NotifyEmail), Has(Flags), unused);
    }

    private static string TooManyRows(int maxRows) =>
        $"The file has more than {maxRows:N0} mailbox rows. Split it into files of at most {maxRows:N0} rows. Nothing was read from it.";

    private static string Describe(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "A quote inside an unquoted field: put the whole field in quotes and double the quote inside it (\"pa\"\"ss\").",
        CsvMalformedReason.TextAfterClosingQuote => "Text after the closing quote of a field: double a quote that is part of the value (\"pa\"\"ss\").",
        CsvMalformedReason.UnterminatedQuote => "A quote opened on this line is never closed, so the rest of the file could not be read.",
        _ => "The quoting of this row is broken.",
    };
}
