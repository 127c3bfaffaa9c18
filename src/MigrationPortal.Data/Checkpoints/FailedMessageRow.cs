using System.Diagnostics.CodeAnalysis;

namespace MigrationPortal.Data.Checkpoints;

/// <summary>A message the destination refused in a pass: what the admin needs to find it and why it was refused.</summary>
public sealed class FailedMessageRow
{
    public const int MaxSubjectLength = 500;
    public const int MaxAnswerLength = 1000;

    private FailedMessageRow() { Folder = ""; ServerAnswer = ""; }

    public FailedMessageRow(int mailboxId, int passNumber, string folder, uint uid, string? subject, long size, string serverAnswer, DateTimeOffset at)
    {
        MailboxId = mailboxId;
        Folder = folder;
        Uid = uid;
        RefusedAgain(passNumber, subject, size, serverAnswer, at);
    }

    /// <summary>
    /// The same message refused by a later pass (Retry Errors, a Full after a failed one): one row per message, saying
    /// what the latest attempt was told, so the list never shows a message twice.
    /// </summary>
    [MemberNotNull(nameof(ServerAnswer))]
    public void RefusedAgain(int passNumber, string? subject, long size, string serverAnswer, DateTimeOffset at)
    {
        PassNumber = passNumber;
        Subject = subject is { Length: > MaxSubjectLength } ? subject[..MaxSubjectLength] : subject;
        Size = size;
        ServerAnswer = serverAnswer.Length > MaxAnswerLength ? serverAnswer[..MaxAnswerLength] : serverAnswer;
        At = at;
    }

    public long Id { get; private set; }
    public int MailboxId { get; private set; }
    public int PassNumber { get; private set; }
    public string Folder { get; private set; }
    public long Uid { get; private set; }
    public string? Subject { get; private set; }
    public long Size { get; private set; }
    public string ServerAnswer { get; private set; }
    public DateTimeOffset At { get; private set; }
}
