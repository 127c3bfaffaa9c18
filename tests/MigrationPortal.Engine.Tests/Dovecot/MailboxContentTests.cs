using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Dovecot;

/// <summary>
/// The comparison the migration tests rest on ("the destination holds exactly the source's messages"): it must see
/// a duplicate, a lost message, a changed byte and a stray folder, and nothing else, whatever the order and UIDs.
/// </summary>
public sealed class MailboxContentTests(DovecotServer dovecot) : IClassFixture<DovecotServer>
{
    private static readonly MimeMessage One = Message("one"), Two = Message("two"), Three = Message("three");

    [Fact]
    public async Task DifferencesFrom_SameMessagesInAnotherOrder_None()
    {
        await SeedAsync("same-a", ("INBOX", [One, Two]), ("Projects/2026", [Three]));
        await SeedAsync("same-b", ("INBOX", [Two, One]), ("Projects/2026", [Three]));

        var a = await MailboxContent.ReadAsync(dovecot, "same-a", "pw");
        var b = await MailboxContent.ReadAsync(dovecot, "same-b", "pw");

        Assert.Empty(b.DifferencesFrom(a));
        Assert.Equal(3, a.MessageCount);
        Assert.Equal("INBOX: 2, Projects: 0, Projects/2026: 1", a.Summary);
    }

    [Fact]
    public async Task DifferencesFrom_DuplicateLossChangedByteAndStrayFolder_EachSaidPerFolder()
    {
        await SeedAsync("want", ("INBOX", [One, Two]), ("Projects/2026", [Three]));
        var changed = Message("three");
        changed.Body = new TextPart("plain") { Text = "Body of three!\r\n" };
        await SeedAsync("got", ("INBOX", [One, One]), ("Projects/2026", [changed]), ("Stray", [Two]));

        var differences = (await MailboxContent.ReadAsync(dovecot, "got", "pw")).DifferencesFrom(await MailboxContent.ReadAsync(dovecot, "want", "pw"));

        Assert.Equal(
        [
            "INBOX: 2 messages, expected 2; 1 missing, 1 extra (1 of them copies of expected messages)",
            "Projects/2026: 1 messages, expected 1; 1 missing, 1 extra (0 of them copies of expected messages)",
            "Stray: not expected (holds 1 messages)",
        ], differences);
    }

    private async Task SeedAsync(string login, params (string Folder, MimeMessage[] Messages)[] folders)
    {
        await dovecot.AddUserAsync(login, "pw");
        foreach (var (folder, messages) in folders)
            await dovecot.AppendMessagesAsync(login, "pw", folder, messages);
    }

    // Fixed Message-ID and Date, so the same message appended to two users has the same bytes.
    private static MimeMessage Message(string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = $"{subject}@example.test", Date = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) };
        message.From.Add(new MailboxAddress("Ada", "ada@example.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.test"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}\r\n" };
        return message;
    }
}
