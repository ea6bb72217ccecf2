using Cni.Net.Kubelet;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Tests.Kubelet;

public class NodeMtuTests
{
    private static LinkInfo Link(int index, string name, int mtu, InterfaceFlags flags, int master = 0) =>
        new() { Index = index, Name = name, Mtu = mtu, Flags = flags, MasterIndex = master };

    [Fact]
    public void Detect_SmallestActiveOrdinaryInterface()
    {
        LinkInfo[] links =
        [
            Link(1, "lo", 65536, InterfaceFlags.Up | InterfaceFlags.Loopback),
            Link(2, "eth0", 1500, InterfaceFlags.Up),
            Link(3, "eth1", 1450, InterfaceFlags.Up),
            Link(4, "eth2", 1280, InterfaceFlags.None),
            Link(5, "tun0", 1300, InterfaceFlags.Up | InterfaceFlags.PointToPoint),
            Link(6, "cbr0", 1000, InterfaceFlags.Up),
            Link(7, "veth1234", 1000, InterfaceFlags.Up, master: 6),
        ];
        Assert.Equal((1450, "eth1"), NodeMtu.Detect(links, "cbr0"));
    }

    [Fact]
    public void Detect_NothingQualifies_KubeletFallback1460() =>
        Assert.Equal((1460, (string?)null), NodeMtu.Detect([Link(1, "lo", 65536, InterfaceFlags.Up | InterfaceFlags.Loopback)], "cbr0"));
}
