using Cni.Net.Ipam;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Ipam;

public class HostLocalRangeSetsTests
{
    private static IpRange R(string subnet, string? start = null, string? gateway = null) => new() { Subnet = subnet, RangeStart = start, Gateway = gateway };

    private static List<IReadOnlyList<IpRange?>?> Sets(params string[][] sets) => [.. sets.Select(s => (IReadOnlyList<IpRange?>)[.. s.Select(x => R(x))])];

    private static string Show(IReadOnlyList<IPRangeSet> sets) => string.Join(" | ", sets.Select(s => s.ToString()));

    [Fact]
    public void Resolve_NoPlaceholder_ReferenceOrder_RuntimeThenSingleThenRanges() =>
        Assert.Equal("10.1.0.1-10.1.0.254 | 10.2.0.1-10.2.0.254 | 10.3.0.1-10.3.0.254",
            Show(HostLocalRangeSets.Resolve(Sets(["10.1.0.0/24"]), R("10.2.0.0/24"), Sets(["10.3.0.0/24"]))));

    [Fact]
    public void Resolve_SinglePlaceholder_RuntimeSetsInItsPlace_NotPrependedAgain()
    {
        IReadOnlyList<IPRangeSet> sets = HostLocalRangeSets.Resolve(Sets(["10.244.1.0/24"], ["fd00:10:244:1::/64"]), R("usePodCidr"), null);
        Assert.Equal(2, sets.Count);
        Assert.Equal("10.244.1.0/24", sets[0][0].Subnet.ToString());
        Assert.Equal("fd00:10:244:1::/64", sets[1][0].Subnet.ToString());
    }

    [Fact]
    public void Resolve_PlaceholderInRanges_KeepsItsPosition()
    {
        IReadOnlyList<IPRangeSet> sets = HostLocalRangeSets.Resolve(Sets(["10.244.1.0/24"]), null, Sets(["fd00:1::/64"], ["usePodCidr"]));
        Assert.Equal(["fd00:1::/64", "10.244.1.0/24"], sets.Select(s => s[0].Subnet.ToString()));
    }

    [Fact]
    public void Resolve_PlaceholderWithoutRuntimeRanges_Code7NamingTheCapability()
    {
        CniException e = Assert.Throws<CniException>(() => HostLocalRangeSets.Resolve(null, R("usePodCidr"), null));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains("usePodCidr", e.Message, StringComparison.Ordinal);
        Assert.Contains("runtimeConfig.ipRanges", e.Message, StringComparison.Ordinal);
        Assert.Contains("\"ipRanges\" capability", e.Message, StringComparison.Ordinal);
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, Assert.Throws<CniException>(() => HostLocalRangeSets.Resolve([], null, Sets(["usePodCidr"]))).Code);
    }

    [Fact]
    public void Resolve_ForStatus_UnresolvedPlaceholderLeftOut()
    {
        Assert.Empty(HostLocalRangeSets.Resolve(null, R("usePodCidr"), null, allowUnresolvedPlaceholder: true));
        Assert.Single(HostLocalRangeSets.Resolve(null, R("usePodCidr"), Sets(["10.9.0.0/24"]), allowUnresolvedPlaceholder: true));
    }

    [Theory]
    [InlineData("alone in its range set")]
    [InlineData("cannot set them")]
    [InlineData("only one range set")]
    [InlineData("not a range a runtime can hand over")]
    public void Resolve_PlaceholderMisused_Code7(string reason)
    {
        CniException e = Assert.Throws<CniException>(() => reason switch
        {
            "alone in its range set" => HostLocalRangeSets.Resolve(Sets(["10.244.1.0/24"]), null, Sets(["usePodCidr", "10.9.0.0/24"])),
            "cannot set them" => HostLocalRangeSets.Resolve(Sets(["10.244.1.0/24"]), R("usePodCidr", gateway: "10.244.1.1"), null),
            "only one range set" => HostLocalRangeSets.Resolve(Sets(["10.244.1.0/24"]), R("usePodCidr"), Sets(["usePodCidr"])),
            _ => HostLocalRangeSets.Resolve(Sets(["usePodCidr"]), R("usePodCidr"), null),
        });
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NothingOrOverlap_Code7AsBefore()
    {
        Assert.Contains("no IP ranges specified", Assert.Throws<CniException>(() => HostLocalRangeSets.Resolve(null, null, null)).Message,
            StringComparison.Ordinal);
        CniException overlap = Assert.Throws<CniException>(() => HostLocalRangeSets.Resolve(Sets(["10.244.0.0/16"]), R("usePodCidr"), Sets(["10.244.1.0/24"])));
        Assert.Equal("range set 0 overlaps with range set 1", overlap.Message);
        CniException bad = Assert.Throws<CniException>(() => HostLocalRangeSets.Resolve(Sets(["10.244.1.0/33"]), R("usePodCidr"), null));
        Assert.StartsWith("invalid range set 0 in runtimeConfig.ipRanges (key 'subnet')", bad.Message, StringComparison.Ordinal);
    }
}
