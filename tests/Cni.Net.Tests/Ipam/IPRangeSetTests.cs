using System.Net;
using Cni.Net.Ipam;

namespace Cni.Net.Tests.Ipam;

public class IPRangeSetTests
{
    private static IPRange R(string subnet, string? start = null, string? end = null) =>
        IPRange.Create(IPNetwork.Parse(subnet), start is null ? null : IPAddress.Parse(start), end is null ? null : IPAddress.Parse(end));

    [Fact]
    public void Constructor_Empty_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new IPRangeSet([]));
        Assert.Contains("at least one range", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MixedFamilies_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new IPRangeSet([R("10.0.0.0/24"), R("fd00::/64")]));
        Assert.Contains("mixed address families", e.Message, StringComparison.Ordinal);
        Assert.Contains("fd00::/64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_OverlappingRanges_ThrowsNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => new IPRangeSet(
            [R("10.0.0.0/24", "10.0.0.10", "10.0.0.20"), R("10.0.0.0/24", "10.0.0.20", "10.0.0.30")]));
        Assert.Contains("range 0 (10.0.0.10-10.0.0.20) and range 1 (10.0.0.20-10.0.0.30) overlap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_DisjointRangesOfOneSubnet_Accepted()
    {
        var set = new IPRangeSet([R("10.0.0.0/24", "10.0.0.10", "10.0.0.19"), R("10.0.0.0/24", "10.0.0.20", "10.0.0.30")]);
        Assert.Equal(2, set.Count);
        Assert.Equal("10.0.0.10-10.0.0.19,10.0.0.20-10.0.0.30", set.ToString());
    }

    [Fact]
    public void RangeFor_FindsContainingRange()
    {
        var set = new IPRangeSet([R("10.0.0.0/24"), R("10.0.1.0/24")]);
        Assert.Same(set[1], set.RangeFor(IPAddress.Parse("10.0.1.9")));
        Assert.Same(set[0], set.RangeFor(IPAddress.Parse("10.0.0.1")));
        Assert.Null(set.RangeFor(IPAddress.Parse("10.0.0.255")));
        Assert.Null(set.RangeFor(IPAddress.Parse("fd00::1")));
    }

    [Fact]
    public void ValidateDisjoint_OverlappingSets_ThrowsNamingIndexes()
    {
        var a = new IPRangeSet([R("10.0.0.0/24")]);
        var b = new IPRangeSet([R("fd00::/64")]);
        var c = new IPRangeSet([R("10.0.0.0/16")]);
        IPRangeSet.ValidateDisjoint([a, b]);
        var e = Assert.Throws<ArgumentException>(() => IPRangeSet.ValidateDisjoint([a, b, c]));
        Assert.Contains("range set 0 overlaps with range set 2", e.Message, StringComparison.Ordinal);
    }
}
