using MigrationPortal.Engine.Checkpoints;

namespace MigrationPortal.Engine.Tests.Checkpoints;

/// <summary>The map of copied messages as text: what a Delta reads back must pair every source UID with its own copy.</summary>
public sealed class UidListTests
{
    [Fact]
    public void Format_AFolderCopiedInOrder_IsOneRange()
    {
        Assert.Equal("1:100000", UidList.Format(Enumerable.Range(1, 100_000).Select(i => (uint)i)));
    }

    [Theory]
    [InlineData(new uint[] { 1, 2, 3, 7, 9, 10, uint.MaxValue })]
    [InlineData(new uint[] { 40, 12, 13, 14, 3 })] // Retry Errors copies old messages after new ones: order is kept, not sorted
    [InlineData(new uint[] { })]
    public void Parse_WhatFormatWrote_GivesBackTheSameUidsInTheSameOrder(uint[] uids)
    {
        Assert.Equal(uids, UidList.Parse(UidList.Format(uids)));
    }

    [Fact]
    public void Append_BatchesThatContinueEachOther_StayOneRange()
    {
        var list = UidList.Append(UidList.Append("", [1, 2, 3]), [4, 5]);
        Assert.Equal("1:5", list);
        Assert.Equal("1:5,7:8", UidList.Append(list, [7, 8]));
        Assert.Equal("3,4:6", UidList.Format([3]) + "," + UidList.Format([4, 5, 6])); // what plain concatenation would leave
        Assert.Equal("3:6", UidList.Append("3", [4, 5, 6]));
    }

    [Fact]
    public void AddPairs_SourceAndDestinationLists_PairEachSourceUidWithItsCopy()
    {
        var map = new Dictionary<uint, uint>();
        UidList.AddPairs(map, UidList.Format([5, 6, 9]), UidList.Format([101, 102, 103]));
        Assert.Equal(new Dictionary<uint, uint> { [5] = 101, [6] = 102, [9] = 103 }, map);
        Assert.Throws<FormatException>(() => UidList.AddPairs(map, "1:3", "1:2"));
        Assert.Throws<FormatException>(() => UidList.Parse("9:3"));
    }
}
