using MigrationPortal.Core.Mailboxes;

namespace MigrationPortal.Core.Tests.Mailboxes;

/// <summary>What a pass says besides its counts (issue 16): the extensions a server lacked and the folders renamed, kept on the pass row.</summary>
public sealed class PassNotesTests
{
    private const string Fallback = "The destination has no MULTIAPPEND: one APPEND command per message instead of up to 50 in one.";
    private const string Rename = "Ideas! → Ideas_ (the destination refused the name: Invalid mailbox name)";

    [Fact]
    public void RecordPassTotals_FallbacksAndRenames_KeptOneALineInTheEnginesOrder()
    {
        var pass = Record(new PassNotes(0, 0, 0, [])
        {
            ServerFallbacks = [Fallback, "The source has no CONDSTORE: a Delta compares the flags of every copied message."],
            FoldersRenamed = [Rename, "Q3.2026 → Q3_2026 (the destination refused the name: Character not allowed in mailbox name: '.')"],
        });

        Assert.Equal(Fallback + "\nThe source has no CONDSTORE: a Delta compares the flags of every copied message.", pass.ServerFallbacks);
        Assert.Equal(Rename + "\nQ3.2026 → Q3_2026 (the destination refused the name: Character not allowed in mailbox name: '.')", pass.FoldersRenamed);
    }

    [Fact]
    public void RecordPassTotals_NoFallbacksOrRenames_BothNull()
    {
        var pass = Record(new PassNotes(1, 2, 0, ["$Label1"]));

        Assert.Null(pass.ServerFallbacks);
        Assert.Null(pass.FoldersRenamed);
        Assert.Equal("$Label1", pass.NotKept);
    }

    [Fact]
    public void RecordPassTotals_ALineBreakInsideAnItem_StaysOneLine()
    {
        // A server's words could hold a line break; it would read as a second rename.
        var pass = Record(new PassNotes(0, 0, 0, []) { FoldersRenamed = ["A! → A_ (the destination refused the name: Bad\r\nname)"] });

        Assert.Equal("A! → A_ (the destination refused the name: Bad name)", pass.FoldersRenamed);
    }

    [Fact]
    public void RecordPassTotals_ThousandsOfRenames_CappedWithAnEllipsis()
    {
        var renames = Enumerable.Range(0, 500).Select(i => $"Folder {i}! → Folder {i}_ (the destination refused the name)").ToList();

        var pass = Record(new PassNotes(0, 0, 0, []) { FoldersRenamed = renames, ServerFallbacks = [Fallback] });

        Assert.Equal(MigrationPass.MaxLinesLength, pass.FoldersRenamed!.Length);
        Assert.EndsWith("…", pass.FoldersRenamed);
        Assert.StartsWith(renames[0] + "\n" + renames[1] + "\n", pass.FoldersRenamed);
        Assert.Equal(Fallback, pass.ServerFallbacks);
    }

    [Fact]
    public void RecordPassTotals_CutFallsInsideAnEmoji_NotBetweenItsHalves()
    {
        // 😀 is two UTF-16 chars; a cut between them leaves half a character, which PostgreSQL refuses to store.
        var name = new string('a', MigrationPass.MaxLinesLength - 2) + "😀 → x";

        var pass = Record(new PassNotes(0, 0, 0, []) { FoldersRenamed = [name] });

        Assert.Equal(new string('a', MigrationPass.MaxLinesLength - 2) + "…", pass.FoldersRenamed);
    }

    private static MigrationPass Record(PassNotes notes)
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();
        scenario.Start(mailbox);
        scenario.BeginPass(mailbox, items: 1, bytes: 10);
        mailbox.RecordPassTotals(skipped: 0, failed: 0, TimeSpan.FromSeconds(1), notes);
        return Assert.Single(mailbox.Passes);
    }
}
