namespace MigrationPortal.Core.Projects;

/// <summary>The emails a mailbox's user gets, each of which a project may word its own way.</summary>
public enum UserEmailKind
{
    /// <summary>The credential request (also its reminders and resends).</summary>
    Request = 0,

    /// <summary>A pass after the user's answer completed.</summary>
    Completed = 1,

    /// <summary>The migration failed after the user's answer.</summary>
    Failed = 2,
}

/// <summary>
/// A project's own wording of one user email: a subject and a plain-text body with placeholders. Which placeholders
/// exist and how values go in is the email library's (<c>UserEmailTemplate</c>); a project without one uses the default
/// of its users' language.
/// </summary>
public sealed class EmailTemplate
{
    public const int MaxSubjectLength = 200;
    public const int MaxBodyLength = 10_000;

    private EmailTemplate() { Subject = ""; Body = ""; UpdatedBy = ""; }

    public EmailTemplate(int projectId, UserEmailKind kind, string subject, string body, string actor, DateTimeOffset now)
    {
        ProjectId = projectId;
        Kind = kind;
        Subject = "";
        Body = "";
        UpdatedBy = "";
        Change(subject, body, actor, now);
    }

    public int Id { get; private set; }
    public int ProjectId { get; private set; }
    public UserEmailKind Kind { get; private set; }
    public string Subject { get; private set; }
    public string Body { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public string UpdatedBy { get; private set; }

    public void Change(string subject, string body, string actor, DateTimeOffset now)
    {
        var s = Validation.Required(subject, "subject", MaxSubjectLength);
        if (s.Any(char.IsControl))
            throw new DomainValidationException("The subject must be one line, without control characters.");
        if (string.IsNullOrWhiteSpace(body))
            throw new DomainValidationException("Enter the email's text.");
        if (body.Length > MaxBodyLength)
            throw new DomainValidationException($"The email's text must be at most {MaxBodyLength:N0} characters.");
        if (body.Any(c => char.IsControl(c) && c is not '\r' and not '\n' and not '\t'))
            throw new DomainValidationException("The email's text contains characters that are not allowed.");
        Subject = s;
        Body = body.ReplaceLineEndings("\n").TrimEnd();
        UpdatedBy = actor;
        UpdatedAt = now;
    }
}
