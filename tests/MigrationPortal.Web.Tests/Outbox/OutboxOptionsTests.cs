using MigrationPortal.Web.Worker;

namespace MigrationPortal.Web.Tests.Outbox;

public sealed class OutboxOptionsTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(7, 320)]
    [InlineData(8, 600)]
    [InlineData(20, 600)]
    [InlineData(1000, 600)]
    public void RetryDelay_FailedAttempts_DoublesFromBaseUpToMax(int attempts, int expectedSeconds)
    {
        var options = new OutboxOptions(); // 5 s base, 10 min cap

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), options.RetryDelay(attempts));
    }
}
