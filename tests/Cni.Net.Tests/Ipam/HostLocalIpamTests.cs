using System.Net;
using Cni.Net.Ipam;

namespace Cni.Net.Tests.Ipam;

public sealed class HostLocalIpamTests : IDisposable
{
    private readonly TempDataDirectory _data = new();

    public void Dispose() => _data.Dispose();

    private static IPRangeSet Set(params string[] subnets) => new(subnets.Select(s => IPRange.Parse(s)));

    private HostLocalStore Open() => HostLocalStore.Open("net", _data.Path);

    private string[] Files() =>
        [.. Directory.GetFiles(_data.NetworkPath("net")).Select(Path.GetFileName).Where(n => n != "lock" && !n!.StartsWith("last_", StringComparison.Ordinal)).Order(StringComparer.Ordinal)!];

    [Fact]
    public void Allocate_DualStack_OneAddressPerSet()
    {
        using HostLocalStore store = Open();
        var got = HostLocalIpam.Allocate(store, [Set("10.1.0.0/24"), Set("fd00:1::/64")], "c", "eth0");
        Assert.Equal(["10.1.0.2/24", "fd00:1::2/64"], got.Select(a => a.ToString()));
        Assert.Equal(IPAddress.Parse("10.1.0.1"), got[0].Gateway);
        Assert.Equal(IPAddress.Parse("fd00:1::1"), got[1].Gateway);
    }

    [Fact]
    public void Allocate_RequestedAddresses_GoToTheirSets()
    {
        using HostLocalStore store = Open();
        var got = HostLocalIpam.Allocate(store, [Set("10.1.0.0/24"), Set("fd00:1::/64")], "c", "eth0",
            [IPAddress.Parse("fd00:1::99"), IPAddress.Parse("::ffff:10.1.0.50")]);
        Assert.Equal(["10.1.0.50/24", "fd00:1::99/64"], got.Select(a => a.ToString()));
    }

    [Fact]
    public void Allocate_RequestedFitsNoSet_ReleasesWhatItTookAndThrows()
    {
        using HostLocalStore store = Open();
        var e = Assert.Throws<ArgumentException>(() => HostLocalIpam.Allocate(store, [Set("10.1.0.0/24")], "c", "eth0",
            [IPAddress.Parse("10.9.9.9")]));
        Assert.Contains("failed to allocate all requested IPs: 10.9.9.9", e.Message, StringComparison.Ordinal);
        Assert.Empty(Files());
    }

    [Fact]
    public void Allocate_SecondSetExhausted_ReleasesFirstSetAddress()
    {
        using HostLocalStore store = Open();
        HostLocalIpam.Allocate(store, [Set("10.1.0.0/24"), Set("10.2.0.0/30")], "a", "eth0");
        Assert.Throws<Cni.Net.Spec.CniException>(() => HostLocalIpam.Allocate(store, [Set("10.1.0.0/24"), Set("10.2.0.0/30")], "b", "eth0"));
        Assert.Equal(["10.1.0.2", "10.2.0.2"], Files());
    }

    [Fact]
    public void FindExhausted_ReportsFirstFullSet()
    {
        using HostLocalStore store = Open();
        IReadOnlyList<IPRangeSet> sets = [Set("10.1.0.0/24"), Set("10.2.0.0/30")];
        Assert.Equal(-1, HostLocalIpam.FindExhausted(store, sets));
        HostLocalIpam.Allocate(store, sets, "a", "eth0");
        Assert.Equal(1, HostLocalIpam.FindExhausted(store, sets));
    }

    [Fact]
    public void CollectGarbage_ReleasesOnlyInvalidAttachments()
    {
        using HostLocalStore store = Open();
        IReadOnlyList<IPRangeSet> sets = [Set("10.1.0.0/24")];
        HostLocalIpam.Allocate(store, sets, "keep", "eth0");
        HostLocalIpam.Allocate(store, sets, "keep", "net1");
        HostLocalIpam.Allocate(store, sets, "gone", "eth0");
        File.WriteAllText(Path.Combine(store.Directory, "10.1.0.100"), "keep");
        File.WriteAllText(Path.Combine(store.Directory, "10.1.0.101"), "old-gone");
        var released = HostLocalIpam.CollectGarbage(store, [("keep", "eth0")]);
        Assert.Equal(["10.1.0.101 old-gone ", "10.1.0.3 keep net1", "10.1.0.4 gone eth0"],
            released.Select(r => r.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["10.1.0.100", "10.1.0.2"], Files());
    }
}
