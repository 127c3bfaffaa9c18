using MigrationPortal.Engine.Passes;

namespace MigrationPortal.Engine.Tests.Passes;

public sealed class BufferBudgetTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task Acquire_MoreThanIsLeft_WaitsUntilAnotherBatchGivesItsBytesBack()
    {
        using var budget = new BufferBudget(8 * MiB);
        var first = await budget.AcquireAsync(6 * MiB, default);

        var second = budget.AcquireAsync(4 * MiB, default).AsTask();
        await Task.Delay(100);
        Assert.False(second.IsCompleted);

        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task Acquire_MoreThanTheWholeBudget_TakesAllOfItOnceFree()
    {
        using var budget = new BufferBudget(8 * MiB);
        var small = await budget.AcquireAsync(1, default);

        var huge = budget.AcquireAsync(50 * MiB, default).AsTask();
        await Task.Delay(100);
        Assert.False(huge.IsCompleted);
        small.Dispose();
        using var lease = await huge.WaitAsync(TimeSpan.FromSeconds(5));

        var next = budget.AcquireAsync(1, default).AsTask();
        await Task.Delay(100);
        Assert.False(next.IsCompleted); // the huge batch holds everything while it is in memory
        lease.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public void New_SmallerThanOneBatch_Refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BufferBudget(BufferBudget.MinimumBytes - 1));

    [Theory]
    [InlineData(0, 16 * 1024)]
    [InlineData(3_000, 16 * 1024)] // a small mail holds a whole pooled block, and the budget counts that
    [InlineData(16 * 1024, 16 * 1024)]
    [InlineData(16 * 1024 + 1, 32 * 1024)]
    public void Footprint_OfAMessage_IsTheWholeBlocksItHolds(long size, long held) =>
        Assert.Equal(held, MigrationPortal.Engine.Imap.MessageBuffer.Footprint(size));
}
