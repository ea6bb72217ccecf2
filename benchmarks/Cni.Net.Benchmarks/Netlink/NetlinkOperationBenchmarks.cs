using System.Net;
using BenchmarkDotNet.Attributes;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Benchmarks.Netlink;

/// <summary>
/// Whole operations against the kernel (request, acknowledgement and its parsing) in a throwaway named namespace.
/// Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN). MemoryDiagnoser shows that none of them allocates but the deletion
/// that defers the teardown (a thread, two sockets and a task per deletion, off the hot path: long-lived hosts' DEL).
/// </summary>
[MemoryDiagnoser]
public class NetlinkOperationBenchmarks
{
    private readonly string _name = "cnb-" + Environment.ProcessId;
    private NetworkNamespace _ns = null!;
    private RouteNetlink _rtnl = null!;
    private int _uplink;
    private readonly IPAddress _address = IPAddress.Parse("10.64.0.1");
    private IPRoute _route = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ns = NetworkNamespace.Create(_name);
        _rtnl = RouteNetlink.Open(_ns);
        _rtnl.AddVeth("bpbr0", "bpbr1");
        _uplink = _rtnl.GetLinkIndex("bpbr0");
        _rtnl.SetLinkUp(_uplink);
        _rtnl.AddAddress(_uplink, IPAddress.Parse("10.0.0.1"), 24);
        _route = new IPRoute { Destination = IPAddress.Parse("10.128.0.1"), DestinationPrefixLength = 32, Gateway = IPAddress.Parse("10.0.0.2"), DeviceIndex = _uplink };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rtnl.Dispose();
        _ns.Dispose();
        NetworkNamespace.Delete(_name);
    }

    [Benchmark]
    public void VethAddDelete()
    {
        _rtnl.AddVeth("bpa0", "bpb0");
        _rtnl.DeleteLink("bpa0");
    }

    /// <summary>
    /// As <see cref="VethAddDelete"/>, returning once the kernel has unlisted the pair; the teardown (an RCU barrier)
    /// runs on behind on a thread of its own, so consecutive operations overlap with earlier teardowns, as in a
    /// long-lived host under pod churn.
    /// </summary>
    [Benchmark]
    public void VethAddDeleteDeferringTeardown()
    {
        _rtnl.AddVeth("bpd0", "bpe0");
        _rtnl.TryDeleteLinkDeferringTeardown("bpd0", out _);
    }

    [Benchmark]
    public void SetLinkUp() => _rtnl.SetLinkUp(_uplink);

    [Benchmark]
    public void AddressAddDelete()
    {
        _rtnl.AddAddress(_uplink, _address, 32);
        _rtnl.DeleteAddress(_uplink, _address, 32);
    }

    [Benchmark]
    public void RouteAddDelete()
    {
        _rtnl.AddRoute(_route);
        _rtnl.DeleteRoute(_route);
    }
}
