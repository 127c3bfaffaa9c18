namespace MigrationPortal.Core.Projects;

/// <summary>A migration project: where mail comes from, where it goes, and how many mailboxes may move at once.</summary>
public sealed class MigrationProject
{
    public const int MaxNameLength = 200;
    public const int MaxConcurrencyLimit = 500;
    public const int DefaultReminderAfterDays = 2;
    public const int DefaultMaxReminders = 2;
    public const int MaxReminderAfterDays = 60;
    public const int MaxRemindersLimit = 10;
    public const int MaxMessagesPerSecondLimit = 100_000;
    public const int MaxKilobytesPerSecondLimit = 10_000_000;

    /// <summary>The languages the users' emails come in (their pages follow each user's browser); the first is the default.</summary>
    public static readonly IReadOnlyList<string> UserLanguages = ["en", "de"];

    private MigrationProject() { Name = ""; Source = null!; Destination = null!; }

    public MigrationProject(string name, ImapEndpoint source, ImapEndpoint destination, int maxConcurrentMigrations, DateTimeOffset now)
    {
        CreatedAt = now;
        Name = "";
        Source = source;
        Destination = destination;
        Update(name, source, destination, maxConcurrentMigrations);
    }

    public int Id { get; private set; }
    public string Name { get; private set; }
    public ImapEndpoint Source { get; private set; }
    public ImapEndpoint Destination { get; private set; }

    /// <summary>How the portal logs in to the source's mailboxes: passwords, or tokens of an admin-authorised app.</summary>
    public SideSignIn SourceSignIn { get; private set; } = SideSignIn.Password;

    public SideSignIn DestinationSignIn { get; private set; } = SideSignIn.Password;
    public int MaxConcurrentMigrations { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>A user who has not answered is reminded this many days after the link was last emailed.</summary>
    public int ReminderAfterDays { get; private set; } = DefaultReminderAfterDays;

    /// <summary>At most this many reminders per link; 0: none.</summary>
    public int MaxReminders { get; private set; } = DefaultMaxReminders;

    /// <summary>
    /// At most this many messages copied per second by each of the project's passes (a provider's or the admin's limit
    /// on how hard a server is pushed); null: as fast as the servers go.
    /// </summary>
    public int? MaxMessagesPerSecond { get; private set; }

    /// <summary>At most this many kilobytes (1,024 bytes) copied per second by each pass; null: no limit.</summary>
    public int? MaxKilobytesPerSecond { get; private set; }

    /// <summary>The language of the emails its users get (an IETF tag of <see cref="UserLanguages"/>).</summary>
    public string UserLanguage { get; private set; } = "en";

    /// <summary>
    /// Bumped by every <see cref="Update"/>: the concurrency token on SQLite. On PostgreSQL the row's xmin is the token
    /// instead (see <c>PortalDbContext</c>) and this is not stored.
    /// </summary>
    public int Version { get; private set; }

    public void Update(string name, ImapEndpoint source, ImapEndpoint destination, int maxConcurrentMigrations)
    {
        var validName = Validation.Required(name, "project name", MaxNameLength);
        if (maxConcurrentMigrations < 1 || maxConcurrentMigrations > MaxConcurrencyLimit)
            throw new DomainValidationException($"Maximum concurrent migrations must be between 1 and {MaxConcurrencyLimit}.");
        Name = validName;
        Source = source;
        Destination = destination;
        MaxConcurrentMigrations = maxConcurrentMigrations;
        Version++;
    }

    /// <summary>When users who have not answered are reminded (the same link each time), and how often at most.</summary>
    public void SetReminders(int afterDays, int max)
    {
        if (afterDays < 1 || afterDays > MaxReminderAfterDays)
            throw new DomainValidationException($"Remind after must be between 1 and {MaxReminderAfterDays} days.");
        if (max < 0 || max > MaxRemindersLimit)
            throw new DomainValidationException($"The number of reminders must be between 0 (none) and {MaxRemindersLimit}.");
        ReminderAfterDays = afterDays;
        MaxReminders = max;
        Version++;
    }

    /// <summary>How one side's mailboxes are logged in to; mailboxes already started keep going with the new way at their next connection.</summary>
    public void SetSignIn(Mailboxes.MailboxSide side, SideSignIn signIn)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        if (side == Mailboxes.MailboxSide.Source) SourceSignIn = signIn;
        else DestinationSignIn = signIn;
        Version++;
    }

    public SideSignIn SignIn(Mailboxes.MailboxSide side) => side == Mailboxes.MailboxSide.Source ? SourceSignIn : DestinationSignIn;

    /// <summary>The project's speed limits per pass; null or blank: none.</summary>
    public void SetSpeedLimits(int? messagesPerSecond, int? kilobytesPerSecond)
    {
        if (messagesPerSecond is < 1 or > MaxMessagesPerSecondLimit)
            throw new DomainValidationException($"Messages per second must be between 1 and {MaxMessagesPerSecondLimit:N0}, or blank for no limit.");
        if (kilobytesPerSecond is < 1 or > MaxKilobytesPerSecondLimit)
            throw new DomainValidationException($"Kilobytes per second must be between 1 and {MaxKilobytesPerSecondLimit:N0}, or blank for no limit.");
        MaxMessagesPerSecond = messagesPerSecond;
        MaxKilobytesPerSecond = kilobytesPerSecond;
        Version++;
    }

    public void SetUserLanguage(string language)
    {
        if (!UserLanguages.Contains(language))
            throw new DomainValidationException($"The users' language must be one of: {string.Join(", ", UserLanguages)}.");
        UserLanguage = language;
        Version++;
    }
}
