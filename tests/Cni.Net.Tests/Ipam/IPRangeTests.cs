using System.Net;
using Cni.Net.Ipam;

namespace Cni.Net.Tests.Ipam;

public class IPRangeTests
{
    private static IPRange Range(string subnet, string? start = null, string? end = null, string? gateway = null) =>
        IPRange.Create(IPNetwork.Parse(subnet), Ip(start), Ip(end), Ip(gateway));

    private static IPAddress? Ip(string? s) => s is null ? null : IPAddress.Parse(s);

    [Fact]
    public void Create_IPv4Defaults_FirstHostToBeforeBroadcast()
    {
        IPRange r = Range("10.1.0.0/24");
        Assert.Equal(IPAddress.Parse("10.1.0.1"), r.RangeStart);
        Assert.Equal(IPAddress.Parse("10.1.0.254"), r.RangeEnd);
        Assert.Equal(IPAddress.Parse("10.1.0.1"), r.Gateway);
        Assert.False(r.IsIPv6);
        Assert.Equal("10.1.0.1-10.1.0.254", r.ToString());
    }

    [Fact]
    public void Create_IPv6Defaults_EndIsLastAddress()
    {
        IPRange r = Range("fd00:1::/64");
        Assert.Equal(IPAddress.Parse("fd00:1::1"), r.RangeStart);
        Assert.Equal(IPAddress.Parse("fd00:1::ffff:ffff:ffff:ffff"), r.RangeEnd);
        Assert.Equal(IPAddress.Parse("fd00:1::1"), r.Gateway);
        Assert.True(r.IsIPv6);
    }

    [Fact]
    public void Create_Slash30_OneAllocatableAddress()
    {
        IPRange r = Range("192.168.5.4/30");
        Assert.Equal(IPAddress.Parse("192.168.5.5"), r.RangeStart);
        Assert.Equal(IPAddress.Parse("192.168.5.6"), r.RangeEnd);
        Assert.Equal((UInt128)1, r.AllocatableCount());
    }

    [Theory]
    [InlineData("10.0.0.0/31")]
    [InlineData("10.0.0.1/32")]
    [InlineData("fd00::/127")]
    [InlineData("fd00::1/128")]
    public void Create_TooSmallSubnet_ThrowsNamingSubnet(string subnet)
    {
        var e = Assert.Throws<ArgumentException>(() => Range(subnet));
        Assert.Equal("subnet", e.ParamName);
        Assert.Contains("too small", e.Message, StringComparison.Ordinal);
        Assert.Contains(subnet, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.1.5", null, null, "rangeStart")]
    [InlineData(null, "10.0.0.255", null, null)]
    [InlineData(null, "10.0.2.0", null, "rangeEnd")]
    [InlineData(null, null, "10.9.9.9", "gateway")]
    [InlineData("fd00::5", null, null, "rangeStart")]
    public void Create_AddressOutsideSubnetOrOtherFamily_ThrowsNamingField(string? start, string? end, string? gateway, string? field)
    {
        if (field is null)
        {
            // The broadcast address is inside the subnet: accepted as an end, skipped when allocating.
            IPRange r = Range("10.0.0.0/24", start, end, gateway);
            Assert.False(r.IsAllocatable(IPAddressMath.ToValue(IPAddress.Parse("10.0.0.255"))));
            return;
        }
        var e = Assert.Throws<ArgumentException>(() => Range("10.0.0.0/24", start, end, gateway));
        Assert.Equal(field, e.ParamName);
        Assert.StartsWith(field + " ", e.Message, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/24", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_StartAfterEnd_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Range("10.0.0.0/24", "10.0.0.50", "10.0.0.40"));
        Assert.Equal("rangeStart", e.ParamName);
        Assert.Contains("after rangeEnd 10.0.0.40", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HostBitsSet_ThrowsNamingNetworkAddress()
    {
        // IPNetwork itself silently masks host bits; the reference refuses such a subnet.
        var e = Assert.Throws<ArgumentException>(() => IPRange.Parse("10.9.0.5/24"));
        Assert.Equal("subnet", e.ParamName);
        Assert.Contains("host bits set", e.Message, StringComparison.Ordinal);
        Assert.Contains("network address is 10.9.0.0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null, null, "subnet")]
    [InlineData("10.0.0.0", null, null, null, "subnet")]
    [InlineData("10.0.0.0/33", null, null, null, "subnet")]
    [InlineData("10.0.0.0/x", null, null, null, "subnet")]
    [InlineData("10.0/16", null, null, null, "subnet")]
    [InlineData("10.0.0.0/24", "10.0.0", null, null, "rangeStart")]
    [InlineData("10.0.0.0/24", null, "banana", null, "rangeEnd")]
    [InlineData("10.0.0.0/24", null, null, "0x0a000001", "gateway")]
    public void Parse_Malformed_ThrowsNamingField(string? subnet, string? start, string? end, string? gateway, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => IPRange.Parse(subnet, start, end, gateway));
        Assert.Equal(field, e.ParamName);
    }

    [Fact]
    public void Parse_Valid_EqualsCreate()
    {
        IPRange r = IPRange.Parse("fd00:5::/120", "fd00:5::10", "fd00:5::20", "fd00:5::fe");
        Assert.Equal(IPNetwork.Parse("fd00:5::/120"), r.Subnet);
        Assert.Equal(IPAddress.Parse("fd00:5::10"), r.RangeStart);
        Assert.Equal(IPAddress.Parse("fd00:5::20"), r.RangeEnd);
        Assert.Equal(IPAddress.Parse("fd00:5::fe"), r.Gateway);
    }

    [Fact]
    public void Create_IPv4MappedSubnet_BecomesIPv4()
    {
        IPRange r = IPRange.Create(new IPNetwork(IPAddress.Parse("::ffff:10.3.0.0"), 120));
        Assert.False(r.IsIPv6);
        Assert.Equal(IPNetwork.Parse("10.3.0.0/24"), r.Subnet);
    }

    [Fact]
    public void Contains_RespectsStartAndEndAndFamily()
    {
        IPRange r = Range("10.0.0.0/24", "10.0.0.10", "10.0.0.20");
        Assert.False(r.Contains(IPAddress.Parse("10.0.0.9")));
        Assert.True(r.Contains(IPAddress.Parse("10.0.0.10")));
        Assert.True(r.Contains(IPAddress.Parse("10.0.0.20")));
        Assert.True(r.Contains(IPAddress.Parse("::ffff:10.0.0.15")));
        Assert.False(r.Contains(IPAddress.Parse("10.0.0.21")));
        Assert.False(r.Contains(IPAddress.Parse("::a00:f")));
    }

    [Fact]
    public void AllocatableCount_ExcludesGatewayNetworkAndBroadcast()
    {
        Assert.Equal((UInt128)253, Range("10.0.0.0/24").AllocatableCount());
        Assert.Equal((UInt128)253, Range("10.0.0.0/24", "10.0.0.0", "10.0.0.255").AllocatableCount());
        Assert.Equal((UInt128)0, Range("10.0.0.0/24", "10.0.0.1", "10.0.0.1").AllocatableCount());
        Assert.Equal((UInt128)254, Range("fd00::/120").AllocatableCount());
    }
}
