using System.Net;
using BenchmarkDotNet.Attributes;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Benchmarks.Netlink;

/// <summary>
/// Encoding cost of the three hot requests, written exactly as RouteNetlink writes them into its send buffer.
/// The reference figures for C with libmnl on this machine class: about 57 ns, 21 ns and 29 ns.
/// </summary>
[MemoryDiagnoser]
public class NetlinkEncodeBenchmarks
{
    private readonly byte[] _buffer = GC.AllocateArray<byte>(NetlinkSocket.BufferSize, pinned: true);
    private readonly IPAddress _address = IPAddress.Parse("10.64.0.1");
    private readonly IPRoute _route = new()
    {
        Destination = IPAddress.Parse("10.128.0.1"),
        DestinationPrefixLength = 32,
        Gateway = IPAddress.Parse("10.0.0.2"),
        DeviceIndex = 2,
    };

    [Benchmark]
    public int NewLinkVeth()
    {
        var w = new NetlinkWriter(_buffer);
        MessageScope m = w.BeginMessage((ushort)RouteMessageType.NewLink, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl | NetlinkMessageFlags.Ack, 1);
        RouteNetlink.EncodeVeth(ref w, "bpa123", "bpb123", null, 0);
        return w.EndMessage(m);
    }

    [Benchmark]
    public int NewAddress()
    {
        var w = new NetlinkWriter(_buffer);
        MessageScope m = w.BeginMessage((ushort)RouteMessageType.NewAddress, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl | NetlinkMessageFlags.Ack, 1);
        RouteNetlink.EncodeAddress(ref w, 2, _address, 32, AddressFlags.None, RouteScope.Universe);
        return w.EndMessage(m);
    }

    [Benchmark]
    public int NewRoute()
    {
        var w = new NetlinkWriter(_buffer);
        MessageScope m = w.BeginMessage((ushort)RouteMessageType.NewRoute, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl | NetlinkMessageFlags.Ack, 1);
        RouteNetlink.EncodeRoute(ref w, _route, delete: false);
        return w.EndMessage(m);
    }
}
