using Cni.Net.Conventions;

namespace Cni.Net.Tests.Conventions;

public class VlanTrunkTests
{
    [Fact]
    public void Collect_IdsAndRanges_SortedWithoutDuplicates()
    {
        Assert.Equal([5, 10, 11, 12, 4094], VlanTrunk.Collect([(12, null, null), (null, 10, 12), (5, null, null), (4094, 11, 11)]));
        Assert.Empty(VlanTrunk.Collect([]));
        Assert.Empty(VlanTrunk.Collect([(null, null, null)]));
    }

    [Theory]
    [InlineData(0, null, null, "incorrect trunk id parameter")]
    [InlineData(4095, null, null, "incorrect trunk id parameter")]
    [InlineData(null, 0, 5, "incorrect trunk minID parameter")]
    [InlineData(null, 5, 4095, "incorrect trunk maxID parameter")]
    [InlineData(null, 6, 5, "minID is greater than maxID in trunk parameter")]
    [InlineData(null, null, 5, "minID and maxID should be configured simultaneously, minID is missing")]
    [InlineData(null, 5, null, "minID and maxID should be configured simultaneously, maxID is missing")]
    public void Collect_Invalid_RefusedWithTheReferenceMessage(int? id, int? min, int? max, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => VlanTrunk.Collect([(id, min, max)]));
        Assert.Equal(message, e.Message);
    }
}
