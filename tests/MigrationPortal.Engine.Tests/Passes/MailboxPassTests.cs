using MailKit;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Engine.Checkpoints;
using MigrationPortal.Engine.Imap;
using MigrationPortal.Engine.Passes;
using MigrationPortal.Fixtures.Dovecot;
using MimeKit;

namespace MigrationPortal.Engine.Tests.Passes;

/// <summary>A pass between two real Dovecot servers; the checkpoints in memory, as the CLI's file would hold them.</summary>
public sealed class MailboxPassTests(DovecotPair servers) : IClassFixture<DovecotPair>
{
    private const string Password = "pass-Word-1";
    private readonly ImapConnector _connector = new(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Run_NestedAndNonAsciiFolders_EveryMessageCopiedWithFlagsKeywordsAndDatesThenNothingTwice()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one", flags: MessageFlags.Seen);
        await AppendAsync(user, "INBOX", "two", flags: MessageFlags.Flagged, keywords: ["$Label1"]);
        await AppendAsync(user, "Projects/2026", "nested");
        await AppendAsync(user, "Rechnungen/Ärzte & Co", "non-ascii", date: new DateTimeOffset(2019, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)));
        var checkpoints = new MemoryCheckpoints();

        var first = await RunAsync(user, checkpoints);

        Assert.Equal(4, first.MessagesCopied);
        Assert.Empty(first.FailedMessages);
        var source = await SnapshotAsync(servers.Source, user);
        var destination = await SnapshotAsync(servers.Destination, user);
        Assert.Equal(source, destination);
        Assert.Contains(destination, m => m.Folder == "Rechnungen/Ärzte & Co" && m.Date == new DateTimeOffset(2019, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)));
        Assert.Contains(destination, m => m.Subject == "two" && m.Flags.Contains("Flagged") && m.Flags.Contains("$Label1"));
        Assert.Equal(first.BytesCopied, checkpoints.Bytes);

        // Again: nothing new, nothing copied twice.
        var second = await RunAsync(user, checkpoints);
        Assert.Equal(0, second.MessagesCopied);
        Assert.Equal(4, second.MessagesSkipped);
        Assert.Equal(destination, await SnapshotAsync(servers.Destination, user));

        // New mail since: only it is copied.
        await AppendAsync(user, "Projects/2026", "later");
        var delta = await RunAsync(user, checkpoints);
        Assert.Equal(1, delta.MessagesCopied);
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_FolderWithGapsPlannedInSmallChunks_CopiesEveryMessageOnceInOrder()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 9; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        await ExpungeFromSourceAsync(user, "INBOX", "m3");
        await ExpungeFromSourceAsync(user, "INBOX", "m4");
        var checkpoints = new MemoryCheckpoints();

        // Summaries two at a time, batches of three: chunk and batch boundaries fall across the gap.
        var first = await RunAsync(user, checkpoints, batchSize: 3, planChunk: 2);
        await AppendAsync(user, "INBOX", "m9");
        var second = await RunAsync(user, checkpoints, batchSize: 3, planChunk: 2);

        Assert.Equal((7, 1, 7), (first.MessagesCopied, second.MessagesCopied, second.MessagesSkipped));
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
        Assert.Equal(8, (await InboxFlagsByUidAsync(servers.Destination, user)).Count); // m0-m2, m5-m9: none lost, none twice
    }

    [Fact]
    public async Task Run_DeltaAfterAFull_OpensOnlyTheFoldersWhoseStatusChanged()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "Projects/2026", "nested");
        await AppendAsync(user, "Archive", "old");
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        var delta = new PassOptions { Kind = PassKind.Delta };

        var nothingNew = await RunAsync(user, checkpoints, options: delta);

        // INBOX, Projects, Projects/2026 and Archive: every one unchanged.
        Assert.Equal((4, 4, 0, 3), (nothingNew.Folders, nothingNew.FoldersUnchanged, nothingNew.MessagesCopied, nothingNew.MessagesSkipped));
        Assert.Equal(3, nothingNew.MessagesFound);

        // New mail in one folder, a message deleted in another: those two are opened; only the new mail is copied.
        await AppendAsync(user, "Projects/2026", "later");
        await ExpungeFromSourceAsync(user, "Archive", "old");
        var changed = await RunAsync(user, checkpoints, options: delta);

        Assert.Equal((4, 2, 1), (changed.Folders, changed.FoldersUnchanged, changed.MessagesCopied));
        var destination = await SnapshotAsync(servers.Destination, user);
        Assert.Equal(4, destination.Count); // what was copied stays, even when the source deletes it
        Assert.Single(destination, m => m.Subject == "later");

        // A Full still opens every folder.
        var full = await RunAsync(user, checkpoints);
        Assert.Equal((0, 0), (full.FoldersUnchanged, full.MessagesCopied));
    }

    [Fact]
    public async Task Run_DeltaAfterTheDestinationFolderWasDeleted_CopiesItsMailAgainOnceAndOpensNothingElse()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "Projects/2026", "nested");
        foreach (var subject in new[] { "a", "b", "c" })
            await AppendAsync(user, "Archive", subject);
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        var delta = new PassOptions { Kind = PassKind.Delta };

        // Someone deletes the folder in the destination: the source is unchanged, but the destination lacks its mail.
        await DeleteDestinationFolderAsync(user, "Archive");
        var afterDelete = await RunAsync(user, checkpoints, options: delta);

        Assert.Equal((4, 3, 3, 2), (afterDelete.Folders, afterDelete.FoldersUnchanged, afterDelete.MessagesCopied, afterDelete.MessagesSkipped));
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));

        var again = await RunAsync(user, checkpoints, options: delta);
        Assert.Equal((4, 4, 0), (again.Folders, again.FoldersUnchanged, again.MessagesCopied));
    }

    [Fact]
    public async Task Run_DeltaAfterTheDestinationFolderWasMadeAgainWithSomeOfItsMail_CopiesOnlyWhatIsMissing()
    {
        var user = await UsersAsync();
        foreach (var subject in new[] { "a", "b", "c" })
            await AppendAsync(user, "Archive", subject);
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);

        // Deleted and made again (a new UIDVALIDITY), and one of the three put back, as a restore from a backup would.
        await DeleteDestinationFolderAsync(user, "Archive");
        await CopyToDestinationAsync(user, "Archive", "b");
        var result = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        Assert.Equal((2, 1), (result.MessagesCopied, result.MessagesSkipped));
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_DeltaAfterNewMailArrivedInTheDestination_StillOpensNoFolder()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "one");
        await AppendAsync(user, "Archive", "old");
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);

        // After the cut-over, new mail is delivered to the destination: not the source's, and no reason to open anything.
        await AppendToDestinationAsync(user, "delivered after the cut-over");
        var result = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        Assert.Equal((2, 2, 0), (result.Folders, result.FoldersUnchanged, result.MessagesCopied));
    }

    [Fact]
    public async Task Run_DeltaAfterFlagChangesOnTheSource_CarriesThemOverAndTouchesNothingElse()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "read", flags: MessageFlags.Seen);
        await AppendAsync(user, "INBOX", "labelled", keywords: ["$Label1"]);
        await AppendAsync(user, "Projects/2026", "plain");
        await AppendAsync(user, "Projects/2026", "untouched", flags: MessageFlags.Seen);
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        var delta = new PassOptions { Kind = PassKind.Delta };

        // The user goes on working in the old mailbox: marks one unread, flags and labels others.
        await ChangeSourceFlagsAsync(user, "INBOX", "read", remove: MessageFlags.Seen);
        await ChangeSourceFlagsAsync(user, "INBOX", "labelled", add: MessageFlags.Flagged, keywords: ["$Work"]);
        await ChangeSourceFlagsAsync(user, "Projects/2026", "plain", add: MessageFlags.Answered);
        var result = await RunAsync(user, checkpoints, options: delta);

        Assert.Equal((0, 3), (result.MessagesCopied, result.FlagsUpdated));
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));

        // Nothing changed since: no folder is opened, nothing updated.
        var again = await RunAsync(user, checkpoints, options: delta);
        Assert.Equal((again.Folders, 0), (again.FoldersUnchanged, again.FlagsUpdated));
    }

    [Fact]
    public async Task Run_DeltaAfterOneOfTwoIdenticalMessagesIsFlagged_FlagsOnlyThatMessagesCopy()
    {
        var user = await UsersAsync();
        // The same message twice in one folder (a mail client's duplicate): the same bytes, the same date.
        var twin = Message("twin", "twin@example.org", "The same bytes\r\n");
        await AppendMessageAsync(servers.Source, user, twin);
        await AppendMessageAsync(servers.Source, user, twin);
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);

        await FlagFirstAsync(servers.Source, user);
        var result = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        // Identity cannot tell the copies apart; the map of copied messages can: one flagged, the other not, as on the source.
        Assert.Equal((0, 1), (result.MessagesCopied, result.FlagsUpdated));
        Assert.Equal(["Flagged", "None"], await InboxFlagsByUidAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_TwinsAdoptedAfterACrash_AFlagChangeLaterReachesOnlyItsOwnCopy()
    {
        var user = await UsersAsync();
        var twin = Message("twin", "twin@example.org", "The same bytes\r\n");
        await AppendMessageAsync(servers.Source, user, twin);
        await AppendMessageAsync(servers.Source, user, twin);
        await AppendAsync(user, "INBOX", "other");
        var checkpoints = new MemoryCheckpoints { CrashOnProgress = 1 };
        await Assert.ThrowsAsync<SimulatedCrash>(() => RunAsync(user, checkpoints));
        var resumed = await RunAsync(user, checkpoints); // adopts the three copies the crashed pass appended

        await FlagFirstAsync(servers.Source, user);
        var delta = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        Assert.Equal((3, 0, 1), (resumed.MessagesCopied, delta.MessagesCopied, delta.FlagsUpdated));
        Assert.Equal(["Flagged", "None", "None"], await InboxFlagsByUidAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_DeltaAfterFlagChangesOnMessagesCopiedBeforeTheMapWasKept_FindsTheirCopiesByIdentity()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "read", flags: MessageFlags.Seen);
        await AppendAsync(user, "Projects/2026", "plain");
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        checkpoints.ForgetCopies(); // as a state written before the map was kept, or a destination without UIDPLUS

        await ChangeSourceFlagsAsync(user, "INBOX", "read", remove: MessageFlags.Seen, add: MessageFlags.Flagged);
        await ChangeSourceFlagsAsync(user, "Projects/2026", "plain", add: MessageFlags.Answered);
        var result = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        Assert.Equal((0, 2), (result.MessagesCopied, result.FlagsUpdated));
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_DeltaCrashingAfterItsNewMailBeforeItsFlags_NextDeltaStillCarriesThemOver()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 3; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        await ChangeSourceFlagsAsync(user, "INBOX", "m1", add: MessageFlags.Flagged);
        await AppendAsync(user, "INBOX", "m3");
        var delta = new PassOptions { Kind = PassKind.Delta };

        // The process dies right after the new mail's batch is saved, before the flag changes are carried over.
        checkpoints.AfterSave = batch => { if (batch.Messages > 0) throw new SimulatedCrash(); };
        await Assert.ThrowsAsync<SimulatedCrash>(() => RunAsync(user, checkpoints, options: delta));
        checkpoints.AfterSave = null;
        var resumed = await RunAsync(user, checkpoints, options: delta);

        Assert.Equal((0, 0, 1), (resumed.FoldersUnchanged, resumed.MessagesCopied, resumed.FlagsUpdated));
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_DeltaAfterAStoppedPass_StillCarriesOverFlagChangesMadeBeforeIt()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 6; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        await ChangeSourceFlagsAsync(user, "INBOX", "m1", add: MessageFlags.Flagged);
        for (var i = 6; i < 12; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        // A Delta stopped after its first batch of new mail: the folder is not finished, its flag changes not yet carried.
        using var stop = new CancellationTokenSource();
        checkpoints.AfterSave = batch => { if (batch.Messages > 0) stop.Cancel(); };
        var stopped = await RunAsync(user, checkpoints, stop.Token, batchCut: true, options: new PassOptions { Kind = PassKind.Delta });
        Assert.True(stopped.Stopped);
        checkpoints.AfterSave = null;

        var resumed = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        Assert.Equal(1, resumed.FlagsUpdated);
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_DeltaAfterAStoppedPass_OpensTheFolderTheStopInterruptedAndCopiesTheRestOnce()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 8; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        var checkpoints = new MemoryCheckpoints();
        using var stop = new CancellationTokenSource();
        checkpoints.AfterSave = batch => { if (batch.Messages > 0) stop.Cancel(); };
        var stopped = await RunAsync(user, checkpoints, stop.Token, batchCut: true);
        Assert.True(stopped.Stopped);
        checkpoints.AfterSave = null;

        var delta = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.Delta });

        Assert.Equal(0, delta.FoldersUnchanged);
        Assert.Equal(8 - stopped.MessagesCopied, delta.MessagesCopied);
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_StopRequested_EndsAtAMessageBoundaryAndTheNextPassCopiesTheRestOnce()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 8; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        var checkpoints = new MemoryCheckpoints();
        using var stop = new CancellationTokenSource();
        checkpoints.AfterSave = batch => { if (batch.Messages > 0) stop.Cancel(); };

        var stopped = await RunAsync(user, checkpoints, stop.Token, batchCut: true);

        Assert.True(stopped.Stopped);
        Assert.InRange(stopped.MessagesCopied, 1, 7);
        checkpoints.AfterSave = null;
        var rest = await RunAsync(user, checkpoints);
        Assert.Equal(8 - stopped.MessagesCopied, rest.MessagesCopied);
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_CrashAfterAppendsBeforeTheirCheckpoint_NextPassAdoptsThemAndDuplicatesNothing()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 7; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        // Identical twins (same Message-ID, same date) are two messages and stay two.
        await AppendAsync(user, "INBOX", "twin", messageId: "twin@example.org");
        await AppendAsync(user, "INBOX", "twin", messageId: "twin@example.org");
        // Mail already in the destination before the migration is never taken for the batch's.
        await AppendToDestinationAsync(user, "m0-already-there");
        var checkpoints = new MemoryCheckpoints { CrashOnProgress = 1 };

        // The process "dies" after appending the first batch, before its progress and checkpoint are saved.
        await Assert.ThrowsAsync<SimulatedCrash>(() => RunAsync(user, checkpoints, batchSize: 6));
        Assert.Equal(7, (await SnapshotAsync(servers.Destination, user)).Count); // 6 appended + the one that was there

        var resumed = await RunAsync(user, checkpoints, batchSize: 6);

        Assert.Equal(9, resumed.MessagesCopied); // 6 adopted, 3 appended
        var source = await SnapshotAsync(servers.Source, user);
        var destination = (await SnapshotAsync(servers.Destination, user)).Where(m => m.Subject != "m0-already-there").ToList();
        Assert.Equal(source, destination);
        Assert.Equal(2, destination.Count(m => m.Subject == "twin"));
    }

    [Fact]
    public async Task Run_CheckpointWriteFailsWhileTheNextBatchGoesOut_NextPassAdoptsBothAndDuplicatesNothing()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 15; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        var checkpoints = new MemoryCheckpoints();
        var failed = false;
        checkpoints.BeforeSave = async batch =>
        {
            if (failed || batch.Messages == 0) return;
            failed = true;
            // The first batch's checkpoint is being written while the second batch is appended: the write fails
            // (the process dies) only once that second batch is in the destination.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((await SnapshotAsync(servers.Destination, user)).Count < 12)
            {
                Assert.True(DateTime.UtcNow < deadline, "the second batch was not appended while the first one's checkpoint was written");
                await Task.Delay(50);
            }
            throw new SimulatedCrash();
        };

        await Assert.ThrowsAsync<SimulatedCrash>(() => RunAsync(user, checkpoints, batchSize: 6));
        Assert.Equal(12, (await SnapshotAsync(servers.Destination, user)).Count); // two batches, neither recorded

        checkpoints.BeforeSave = null;
        var resumed = await RunAsync(user, checkpoints, batchSize: 6);

        Assert.Equal(15, resumed.MessagesCopied); // 12 adopted, 3 appended
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_SourceUidValidityChanged_MatchesWhatIsThereAndCopiesNothingTwice()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 4; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);

        await servers.Source.SetUidValidityAsync(user, "INBOX", 424242);
        await AppendAsync(user, "INBOX", "after the change");
        var result = await RunAsync(user, checkpoints);

        Assert.Equal(1, result.MessagesCopied);
        Assert.Equal(4, result.MessagesSkipped);
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_FirstPassIntoADestinationThatHasSomeOfTheMail_CopiesOnlyTheRest()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 3; i++)
            await AppendAsync(user, "INBOX", $"m{i}");
        // An earlier run whose checkpoints are gone (another tool, a reinstalled portal) copied the first three.
        var first = new MemoryCheckpoints();
        await RunAsync(user, first);
        await AppendAsync(user, "INBOX", "new since");

        var result = await RunAsync(user, new MemoryCheckpoints());

        Assert.Equal(1, result.MessagesCopied);
        Assert.Equal(3, result.MessagesSkipped);
        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_FirstPassIntoADestinationWithLookAlikes_AdoptsOnlyTheSameBytesAndCopiesTheRest()
    {
        var user = await UsersAsync();
        // Two messages without a Message-ID, same date, same size, different bytes; and a message resent with the same
        // Message-ID and date but another body. The destination already holds one of each pair, byte for byte.
        var withoutIdB = Message("look-alike", null, "Body B\r\n");
        var withoutIdA = Message("look-alike", null, "Body A\r\n");
        var original = Message("report", "report@example.org", "First version\r\n");
        var resent = Message("report", "report@example.org", "Second, corrected version\r\n");
        foreach (var message in new[] { withoutIdB, withoutIdA, original, resent })
            await AppendMessageAsync(servers.Source, user, message);
        await AppendMessageAsync(servers.Destination, user, withoutIdA);
        await AppendMessageAsync(servers.Destination, user, resent);

        var result = await RunAsync(user, new MemoryCheckpoints());

        Assert.Equal((2, 2), (result.MessagesCopied, result.MessagesSkipped));
        Assert.Equal((await MailboxContent.ReadAsync(servers.Source, user, Password)).Lines, (await MailboxContent.ReadAsync(servers.Destination, user, Password)).Lines);
    }

    [Fact]
    public async Task Run_DestinationRefusesAMessage_RecordedWithItsAnswerAndThePassGoesOn()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "small before");
        await AppendAsync(user, "INBOX", "too large", body: new string('x', 60_000));
        await AppendAsync(user, "INBOX", "small after");
        var checkpoints = new MemoryCheckpoints();

        var result = await RunAsync(user, checkpoints);

        Assert.Equal(2, result.MessagesCopied);
        var failed = Assert.Single(result.FailedMessages);
        Assert.Equal("too large", failed.Subject);
        Assert.Equal("INBOX", failed.Folder);
        Assert.True(failed.Size > 60_000);
        Assert.False(string.IsNullOrWhiteSpace(failed.ServerAnswer));
        Assert.Equal(failed, Assert.Single(checkpoints.Failed));
        Assert.Equal(["small after", "small before"], (await SnapshotAsync(servers.Destination, user)).Select(m => m.Subject).Order());
        // The refusal is not retried on every pass as if it were new mail: the checkpoint moved past it.
        Assert.Empty((await RunAsync(user, checkpoints)).FailedMessages);
    }

    [Fact]
    public async Task Run_MoreRefusedThanAllowed_EndsAtTheBatchPastTheLimitAndSaysSo()
    {
        var user = await UsersAsync();
        for (var i = 0; i < 8; i++)
            await AppendAsync(user, "INBOX", $"m{i}", body: i % 2 == 1 ? new string('x', 60_000) : null);
        var checkpoints = new MemoryCheckpoints();

        var result = await RunAsync(user, checkpoints, batchSize: 2, options: new PassOptions { MaxMessageErrors = 1 });

        // Batches [m0 m1] [m2 m3]: the second refusal is one past the limit, and the pass ends there.
        Assert.True(result.TooManyRefused);
        Assert.False(result.Stopped);
        Assert.Equal(["m1", "m3"], result.FailedMessages.Select(f => f.Subject));
        Assert.Equal(["m0", "m2"], (await SnapshotAsync(servers.Destination, user)).Select(m => m.Subject).Order());

        // Within the limit nothing ends early.
        var again = await RunAsync(user, checkpoints, batchSize: 2, options: new PassOptions { MaxMessageErrors = 10 });
        Assert.False(again.TooManyRefused);
        Assert.Equal(["m0", "m2", "m4", "m6"], (await SnapshotAsync(servers.Destination, user)).Select(m => m.Subject).Order());
    }

    [Fact]
    public async Task Run_RetryErrorsWhileTheDestinationStillRefuses_StillFailedAndNothingElseTouched()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "INBOX", "small");
        await AppendAsync(user, "INBOX", "too large", body: new string('x', 60_000));
        var checkpoints = new MemoryCheckpoints();
        await RunAsync(user, checkpoints);
        var before = await SnapshotAsync(servers.Destination, user);

        var retry = await RunAsync(user, checkpoints, options: new PassOptions { Kind = PassKind.RetryErrors });

        Assert.Equal(0, retry.MessagesCopied);
        Assert.Equal("too large", Assert.Single(retry.FailedMessages).Subject);
        Assert.Single(checkpoints.Failed, f => f.Subject == "too large");
        Assert.Equal(before, await SnapshotAsync(servers.Destination, user));
    }

    [Fact]
    public async Task Run_PreStageThenFull_OldMailFirstThenTheRestAndNothingTwice()
    {
        var user = await UsersAsync();
        var cutoff = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
        await AppendAsync(user, "INBOX", "old one", date: cutoff.AddDays(-100));
        await AppendAsync(user, "INBOX", "new one", date: cutoff.AddDays(3));
        await AppendAsync(user, "INBOX", "old two", date: cutoff.AddDays(-1));
        await AppendAsync(user, "Projects", "new nested", date: cutoff.AddDays(1));
        var checkpoints = new MemoryCheckpoints();

        var preStage = await RunAsync(user, checkpoints, options: PassOptions.PreStage(cutoff));

        Assert.Equal(2, preStage.MessagesCopied);
        Assert.Equal(["old one", "old two"], (await SnapshotAsync(servers.Destination, user)).Select(m => m.Subject).Order());

        var full = await RunAsync(user, checkpoints);

        Assert.Equal(await SnapshotAsync(servers.Source, user), await SnapshotAsync(servers.Destination, user));
        Assert.Equal(0, (await RunAsync(user, checkpoints)).MessagesCopied);
        Assert.Equal(4, (await SnapshotAsync(servers.Destination, user)).Count);
        Assert.True(full.MessagesCopied >= 2);
    }

    [Fact]
    public async Task Run_SentItemsOnTheSource_LandsInTheDestinationsSentFolderBySpecialUse()
    {
        var user = await UsersAsync();
        await AppendAsync(user, "Sent Items", "a sent message");
        // The destination's sent folder exists, as a provider's does from the start.
        await using (var session = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default))
            await FolderAsync(session.Store, "Sent");

        var result = await RunAsync(user, new MemoryCheckpoints());

        Assert.Equal(1, result.MessagesCopied);
        var destination = await SnapshotAsync(servers.Destination, user);
        var sent = Assert.Single(destination);
        Assert.Equal("Sent", sent.Folder);
        Assert.Equal("a sent message", sent.Subject);
        await using var check = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        Assert.DoesNotContain(await check.Store.GetFoldersAsync(check.Store.PersonalNamespaces[0]), f => f.FullName == "Sent Items");
    }

    private async Task<PassResult> RunAsync(string user, MemoryCheckpoints checkpoints, CancellationToken stop = default, bool batchCut = false, int? batchSize = null,
        PassOptions? options = null, int planChunk = 2000)
    {
        await using var source = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await using var destination = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await using var writer = await _connector.ConnectAppendWriterAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        // Two folders at once, as the portal and the CLI copy, so every test with several folders runs them side by side.
        return await new MailboxPass(source.Store, destination.Store, writer, checkpoints)
        {
            BatchSize = batchSize ?? (batchCut ? 3 : MailboxPass.DefaultBatchSize),
            Options = options ?? PassOptions.Full,
            PlanChunk = planChunk,
            Lanes = MailboxMigration.DefaultFoldersAtOnce,
            OpenLane = async ct =>
            {
                var laneSource = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), ct);
                var laneDestination = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), ct);
                var laneWriter = await _connector.ConnectAppendWriterAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), ct);
                return new PassLane(laneSource.Store, laneDestination.Store, laneWriter, laneSource, laneDestination, laneWriter);
            },
        }.RunAsync(stop);
    }

    private async Task<string> UsersAsync()
    {
        var user = "pass" + Guid.NewGuid().ToString("N")[..8];
        await servers.Source.AddUserAsync(user, Password);
        await servers.Destination.AddUserAsync(user, Password);
        return user;
    }

    private async Task AppendToDestinationAsync(string user, string subject)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = "Already there\r\n" };
        await session.Store.Inbox.AppendAsync(new AppendRequest(message) { InternalDate = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero) });
    }

    private async Task DeleteDestinationFolderAsync(string user, string folder)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await (await FolderAsync(session.Store, folder)).DeleteAsync();
    }

    /// <summary>The source's message of that subject, its exact bytes and date, appended to the destination folder (made when missing).</summary>
    private async Task CopyToDestinationAsync(string user, string folder, string subject)
    {
        await using var source = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var from = await FolderAsync(source.Store, folder);
        await from.OpenAsync(FolderAccess.ReadOnly);
        var uid = (await from.SearchAsync(MailKit.Search.SearchQuery.SubjectContains(subject))).Single();
        var date = (await from.FetchAsync([uid], MessageSummaryItems.InternalDate)).Single().InternalDate!.Value;
        var message = await from.GetMessageAsync(uid);
        await using var destination = await _connector.ConnectAsync(new ImapEndpoint(servers.Destination.Host, servers.Destination.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await (await FolderAsync(destination.Store, folder)).AppendAsync(new AppendRequest(message) { InternalDate = date });
    }

    private static MimeMessage Message(string subject, string? messageId, string body)
    {
        var message = new MimeMessage { Subject = subject };
        if (messageId is not null) message.MessageId = messageId;
        else message.Headers.Remove(HeaderId.MessageId);
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    /// <summary>Appends the same message (the same bytes, the same date) to INBOX on either server.</summary>
    private async Task AppendMessageAsync(DovecotServer server, string user, MimeMessage message)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await session.Store.Inbox.AppendAsync(new AppendRequest(message) { InternalDate = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero) });
    }


    private async Task ChangeSourceFlagsAsync(string user, string folder, string subject, MessageFlags add = MessageFlags.None,
        MessageFlags remove = MessageFlags.None, string[]? keywords = null)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var target = await FolderAsync(session.Store, folder);
        await target.OpenAsync(FolderAccess.ReadWrite);
        var uids = await target.SearchAsync(MailKit.Search.SearchQuery.SubjectContains(subject));
        Assert.Single(uids);
        if (add != MessageFlags.None || keywords is not null)
        {
            var request = new StoreFlagsRequest(StoreAction.Add, add) { Silent = true };
            foreach (var keyword in keywords ?? []) request.Keywords.Add(keyword);
            await target.StoreAsync(uids, request);
        }
        if (remove != MessageFlags.None)
            await target.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, remove) { Silent = true });
    }

    private async Task FlagFirstAsync(DovecotServer server, string user)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await session.Store.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await session.Store.Inbox.AddFlagsAsync(0, MessageFlags.Flagged, silent: true);
    }

    /// <summary>INBOX's messages' flags in UID order (the order they were appended in).</summary>
    private async Task<IReadOnlyList<string>> InboxFlagsByUidAsync(DovecotServer server, string user)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        await session.Store.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var all = await session.Store.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
        return [.. all.OrderBy(m => m.UniqueId.Id).Select(m => ((m.Flags ?? MessageFlags.None) & ~MessageFlags.Recent).ToString())];
    }

    private async Task ExpungeFromSourceAsync(string user, string folder, string subject)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var target = await FolderAsync(session.Store, folder);
        await target.OpenAsync(FolderAccess.ReadWrite);
        var uids = await target.SearchAsync(MailKit.Search.SearchQuery.SubjectContains(subject));
        await target.AddFlagsAsync(uids, MessageFlags.Deleted, silent: true);
        await target.ExpungeAsync();
    }

    private async Task AppendAsync(string user, string folder, string subject, MessageFlags flags = MessageFlags.None,
        string[]? keywords = null, DateTimeOffset? date = null, string? messageId = null, string? body = null)
    {
        var message = new MimeMessage { Subject = subject, MessageId = messageId ?? MimeKit.Utils.MimeUtils.GenerateMessageId() };
        message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
        message.Body = new TextPart("plain") { Text = body ?? $"Body of {subject}\r\n" };
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(servers.Source.Host, servers.Source.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var target = await FolderAsync(session.Store, folder);
        await target.AppendAsync(new AppendRequest(message, flags)
        {
            Keywords = keywords is null ? null : new HashSet<string>(keywords),
            InternalDate = date ?? new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
        });
    }

    private static async Task<IMailFolder> FolderAsync(IMailStore store, string path)
    {
        if (path == "INBOX") return store.Inbox;
        var parent = store.GetFolder(store.PersonalNamespaces[0])!;
        foreach (var name in path.Split('/'))
            parent = (await parent.GetSubfoldersAsync()).FirstOrDefault(f => f.Name == name) ?? (await parent.CreateAsync(name, true))!;
        return parent;
    }

    private sealed record Seen(string Folder, string Subject, string MessageId, DateTimeOffset Date, string Flags, long Size);

    /// <summary>Every message of every folder as a sorted list, to compare both sides as a whole.</summary>
    private async Task<IReadOnlyList<Seen>> SnapshotAsync(DovecotServer server, string user)
    {
        await using var session = await _connector.ConnectAsync(new ImapEndpoint(server.Host, server.Port, TlsMode.None), new ImapLogin(user, Password), default);
        var lines = new List<Seen>();
        foreach (var folder in await session.Store.GetFoldersAsync(session.Store.PersonalNamespaces[0]))
        {
            if (folder.Attributes.HasFlag(FolderAttributes.NoSelect)) continue;
            await folder.OpenAsync(FolderAccess.ReadOnly);
            if (folder.Count > 0)
                foreach (var s in await folder.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size))
                    lines.Add(new Seen(folder.FullName, s.Envelope!.Subject ?? "", s.Envelope.MessageId ?? "", s.InternalDate!.Value,
                        string.Join(",", new[] { (s.Flags!.Value & ~MessageFlags.Recent).ToString() }.Concat(s.Keywords.Order())), s.Size ?? 0));
            await folder.CloseAsync();
        }
        return lines.OrderBy(l => l.Folder, StringComparer.Ordinal).ThenBy(l => l.Subject, StringComparer.Ordinal).ToList();
    }
}
