using System.Net;
using Cni.Net.Ipam;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Ipam;

public sealed class HostLocalAllocatorTests : IDisposable
{
    private const string Net = "testnet";
    private readonly TempDataDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private static IPRange R(string subnet, string? start = null, string? end = null, string? gateway = null) =>
        IPRange.Create(IPNetwork.Parse(subnet), Ip(start), Ip(end), Ip(gateway));

    private static IPAddress? Ip(string? s) => s is null ? null : IPAddress.Parse(s);

    private static IPRangeSet Set(params IPRange[] ranges) => new(ranges);

    private string Allocate(IPRangeSet set, string id, string ifName = "eth0", string? requested = null, int index = 0)
    {
        using HostLocalStore store = HostLocalStore.Open(Net, _data.Path);
        return new HostLocalAllocator(store, set, index).Allocate(id, ifName, Ip(requested)).ToString();
    }

    private void Release(string id, string ifName = "eth0")
    {
        using HostLocalStore store = HostLocalStore.Open(Net, _data.Path);
        store.Release(id, ifName);
    }

    private string LastReserved(int index = 0) =>
        File.ReadAllText(Path.Combine(_data.NetworkPath(Net), $"last_reserved_ip.{index}"));

    [Fact]
    public void Allocate_Fresh_SkipsGatewayAndCountsUp()
    {
        IPRangeSet set = Set(R("10.2.0.0/24"));
        Assert.Equal("10.2.0.2/24", Allocate(set, "a"));
        Assert.Equal("10.2.0.3/24", Allocate(set, "b"));
        Assert.Equal("10.2.0.3", LastReserved());
    }

    [Fact]
    public void Allocate_AfterRelease_ContinuesRoundRobinInsteadOfReusing()
    {
        IPRangeSet set = Set(R("10.2.0.0/24"));
        Assert.Equal("10.2.0.2/24", Allocate(set, "a"));
        Release("a");
        Assert.Equal("10.2.0.3/24", Allocate(set, "b"));
    }

    [Fact]
    public void Allocate_AtEndOfRange_WrapsToStart()
    {
        IPRangeSet set = Set(R("10.2.0.0/24", "10.2.0.10", "10.2.0.12"));
        Assert.Equal("10.2.0.10/24", Allocate(set, "a"));
        Assert.Equal("10.2.0.11/24", Allocate(set, "b"));
        Assert.Equal("10.2.0.12/24", Allocate(set, "c"));
        Release("a");
        Assert.Equal("10.2.0.10/24", Allocate(set, "d"));
    }

    [Fact]
    public void Allocate_Exhausted_ThrowsAndReportsExhausted()
    {
        IPRangeSet set = Set(R("10.2.0.0/30"));
        Assert.Equal("10.2.0.2/30", Allocate(set, "a"));
        var e = Assert.Throws<CniException>(() => Allocate(set, "b"));
        Assert.Equal((CniErrorCode)100, e.Code);
        Assert.Equal("no IP addresses available in range set: 10.2.0.1-10.2.0.2", e.Message);
        using HostLocalStore store = HostLocalStore.Open(Net, _data.Path);
        Assert.True(new HostLocalAllocator(store, set, 0).IsExhausted());
        store.Release("a", "eth0");
        Assert.False(new HostLocalAllocator(store, set, 0).IsExhausted());
    }

    [Fact]
    public void Allocate_RangeOfOnlyTheGateway_IsExhaustedFromTheStart()
    {
        IPRangeSet set = Set(R("10.2.0.0/24", "10.2.0.1", "10.2.0.1"));
        using (HostLocalStore store = HostLocalStore.Open(Net, _data.Path))
        {
            Assert.True(new HostLocalAllocator(store, set, 0).IsExhausted());
        }
        Assert.Throws<CniException>(() => Allocate(set, "a"));
        Assert.Empty(Directory.GetFiles(_data.NetworkPath(Net), "10.*"));
    }

    [Fact]
    public void Allocate_ExplicitStartAtNetworkAndEndAtBroadcast_NeverHandsThemOut()
    {
        // The reference hands out 10.2.0.0 here; ours skips network and broadcast.
        IPRangeSet set = Set(R("10.2.0.0/30", "10.2.0.0", "10.2.0.3"));
        Assert.Equal("10.2.0.2/30", Allocate(set, "a"));
        Assert.Throws<CniException>(() => Allocate(set, "b"));
        Assert.Equal(["10.2.0.2"], Directory.GetFiles(_data.NetworkPath(Net), "10.*").Select(Path.GetFileName));
    }

    [Fact]
    public void Allocate_IPv6_SmallRangeRoundRobin()
    {
        IPRangeSet set = Set(R("fd00:9::/126"));
        Assert.Equal("fd00:9::2/126", Allocate(set, "a"));
        Assert.Equal("fd00:9::3/126", Allocate(set, "b"));
        Assert.Throws<CniException>(() => Allocate(set, "c"));
        Release("a");
        Assert.Equal("fd00:9::2/126", Allocate(set, "c"));
        Assert.Equal("fd00:9::2", LastReserved());
    }

    [Fact]
    public void Allocate_IPv6Slash64_FirstAddressesQuickly()
    {
        IPRangeSet set = Set(R("2001:db8:1:2::/64"));
        Assert.Equal("2001:db8:1:2::2/64", Allocate(set, "a"));
        using HostLocalStore store = HostLocalStore.Open(Net, _data.Path);
        Assert.False(new HostLocalAllocator(store, set, 0).IsExhausted());
    }

    [Fact]
    public void Allocate_LastReservedAtEndOfLastRange_WrapsToFirstRange()
    {
        IPRangeSet set = Set(R("10.3.0.0/24", "10.3.0.10", "10.3.0.11"), R("10.4.0.0/24", "10.4.0.10", "10.4.0.10"));
        Assert.Equal("10.3.0.10/24", Allocate(set, "a"));
        Assert.Equal("10.3.0.11/24", Allocate(set, "b"));
        Assert.Equal("10.4.0.10/24", Allocate(set, "c"));
        Release("a");
        Assert.Equal("10.3.0.10/24", Allocate(set, "d"));
        Assert.Throws<CniException>(() => Allocate(set, "e"));
    }

    [Fact]
    public void Allocate_LastReservedOutsideSet_StartsAtFirstRange()
    {
        IPRangeSet set = Set(R("10.5.0.0/24"));
        Directory.CreateDirectory(_data.NetworkPath(Net));
        File.WriteAllText(Path.Combine(_data.NetworkPath(Net), "last_reserved_ip.0"), "192.168.1.7");
        Assert.Equal("10.5.0.2/24", Allocate(set, "a"));
    }

    [Fact]
    public void Allocate_LastReservedInMiddle_ContinuesAfterIt()
    {
        IPRangeSet set = Set(R("10.5.0.0/24"));
        Directory.CreateDirectory(_data.NetworkPath(Net));
        File.WriteAllText(Path.Combine(_data.NetworkPath(Net), "last_reserved_ip.0"), "10.5.0.100");
        Assert.Equal("10.5.0.101/24", Allocate(set, "a"));
    }

    [Fact]
    public void Allocate_LastReservedAtBroadcastEnd_WrapsPastNetworkAndGateway()
    {
        IPRangeSet set = Set(R("10.5.0.0/29"));
        Directory.CreateDirectory(_data.NetworkPath(Net));
        File.WriteAllText(Path.Combine(_data.NetworkPath(Net), "last_reserved_ip.0"), "10.5.0.6");
        Assert.Equal("10.5.0.2/29", Allocate(set, "a"));
    }

    [Fact]
    public void Allocate_SkipsAddressesReservedByOthers()
    {
        IPRangeSet set = Set(R("10.6.0.0/24"));
        Assert.Equal("10.6.0.5/24", Allocate(set, "x", requested: "10.6.0.5"));
        File.Delete(Path.Combine(_data.NetworkPath(Net), "last_reserved_ip.0"));
        Assert.Equal("10.6.0.2/24", Allocate(set, "a"));
        Assert.Equal("10.6.0.3/24", Allocate(set, "b"));
        Assert.Equal("10.6.0.4/24", Allocate(set, "c"));
        Assert.Equal("10.6.0.6/24", Allocate(set, "d"));
    }

    [Fact]
    public void Allocate_Requested_ReservesExactlyThatAndRecordsItAsLast()
    {
        IPRangeSet set = Set(R("10.7.0.0/24"));
        Assert.Equal("10.7.0.77/24", Allocate(set, "a", requested: "10.7.0.77"));
        Assert.Equal("10.7.0.77", LastReserved());
        Assert.Equal("10.7.0.78/24", Allocate(set, "b"));
    }

    [Fact]
    public void Allocate_RequestedGateway_ThrowsArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => Allocate(Set(R("10.7.0.0/24")), "a", requested: "10.7.0.1"));
        Assert.Contains("is the gateway of subnet 10.7.0.0/24", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allocate_RequestedBroadcast_ThrowsArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => Allocate(Set(R("10.7.0.0/24", end: "10.7.0.255")), "a", requested: "10.7.0.255"));
        Assert.Contains("broadcast address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allocate_RequestedOutsideSet_ThrowsArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => Allocate(Set(R("10.7.0.0/24")), "a", requested: "10.8.0.5"));
        Assert.Contains("10.8.0.5 is not in range set 10.7.0.1-10.7.0.254", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allocate_RequestedTaken_Throws()
    {
        IPRangeSet set = Set(R("10.7.0.0/24"));
        Allocate(set, "a", requested: "10.7.0.9");
        var e = Assert.Throws<CniException>(() => Allocate(set, "b", requested: "10.7.0.9"));
        Assert.Equal((CniErrorCode)101, e.Code);
        Assert.Equal("requested IP address 10.7.0.9 is not available in range set 10.7.0.1-10.7.0.254", e.Message);
        Assert.Equal("a\r\neth0", File.ReadAllText(Path.Combine(_data.NetworkPath(Net), "10.7.0.9")));
    }

    [Fact]
    public void Allocate_SameAttachmentTwice_ThrowsDuplicate()
    {
        IPRangeSet set = Set(R("10.7.0.0/24"));
        Allocate(set, "a");
        var e = Assert.Throws<CniException>(() => Allocate(set, "a"));
        Assert.Equal((CniErrorCode)102, e.Code);
        Assert.Contains("duplicate allocation is not allowed", e.Message, StringComparison.Ordinal);
        Assert.Equal("10.7.0.3/24", Allocate(set, "a", ifName: "net1"));
    }

    [Fact]
    public void Allocate_DualStack_SetsKeepSeparateLastReservedFiles()
    {
        IPRangeSet v4 = Set(R("10.8.0.0/24"));
        IPRangeSet v6 = Set(R("fd00:8::/120"));
        Assert.Equal("10.8.0.2/24", Allocate(v4, "a", index: 0));
        Assert.Equal("fd00:8::2/120", Allocate(v6, "a", index: 1));
        Assert.Equal("10.8.0.2", LastReserved(0));
        Assert.Equal("fd00:8::2", LastReserved(1));
    }
}
