using System.Net;
using System.Net.Sockets;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>
/// Packets across the rules: the test process's private namespace is the node, a "pod" namespace hangs off one
/// veth (10.99.0.0/24) and an "outside" namespace off another (10.98.0.0/24), which has no route to the pod network.
/// </summary>
public sealed class NetfilterTrafficTests : IDisposable
{
    private readonly TestNamespace _pod = new("pod");
    private readonly TestNamespace _outside = new("out");
    private readonly string _forwardBefore = File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim();

    public NetfilterTrafficTests()
    {
        Require.NotInRootNamespace();
        Wire(_pod, "vethcnp", "10.99.0.1/24", "10.99.0.2/24", gateway: "10.99.0.1");
        Wire(_outside, "vethcno", "10.98.0.1/24", "10.98.0.2/24", gateway: null);
        File.WriteAllText("/proc/sys/net/ipv4/ip_forward", "1");
    }

    private static void Wire(TestNamespace ns, string hostSide, string hostAddress, string nsAddress, string? gateway)
    {
        Shell.Check("ip", "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", ns.Name);
        Shell.Check("ip", "addr", "add", hostAddress, "dev", hostSide);
        Shell.Check("ip", "link", "set", hostSide, "up");
        Shell.Check("ip", "-n", ns.Name, "addr", "add", nsAddress, "dev", "eth0");
        Shell.Check("ip", "-n", ns.Name, "link", "set", "eth0", "up");
        if (gateway is not null)
        {
            Shell.Check("ip", "-n", ns.Name, "route", "add", "default", "via", gateway);
        }
    }

    public void Dispose()
    {
        NetfilterTestSupport.ResetTables();
        File.WriteAllText("/proc/sys/net/ipv4/ip_forward", _forwardBefore);
        // Deleting the namespaces deletes the veth peers and with them the node-side ends.
        _pod.Dispose();
        _outside.Dispose();
        Shell.Run("ip", ["link", "del", "vethcnp"]);
        Shell.Run("ip", ["link", "del", "vethcno"]);
    }

    [Fact]
    public async Task HostPort_Dnat_ConnectionReachesListenerInPod()
    {
        using var server = new NetfilterTestSupport.PeerEchoServer(_pod, 80);
        // Nothing listens on the node's port 8080 yet: the connection is refused.
        Assert.Null(NetfilterTestSupport.Connect(_outside, "10.98.0.1", 8080, 2));

        await new IptablesNftBackend().ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork),
            "demo", "traffic", IPAddress.Parse("10.99.0.2"), 24, [new(8080, 80, "tcp")]), CancellationToken.None);

        // From another host: PREROUTING DNAT, forwarded to the pod, which sees the client's own address.
        Assert.Equal("peer=10.98.0.2", NetfilterTestSupport.Connect(_outside, "10.98.0.1", 8080));

        // From the node itself: OUTPUT DNAT (the source is the local address the connection was made to).
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Parse("10.98.0.1"), 8080, TestContext.Current.CancellationToken);
            using var reader = new StreamReader(client.GetStream());
            Assert.Equal("peer=10.98.0.1", await reader.ReadLineAsync(TestContext.Current.CancellationToken));
        }

        // After teardown the port is closed again.
        await new IptablesNftBackend().ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork),
            "demo", "traffic"), CancellationToken.None);
        Assert.Null(NetfilterTestSupport.Connect(_outside, "10.98.0.1", 8080, 2));
    }

    [Fact]
    public async Task Masquerade_PodToOutside_SeenAsTheNodesAddress()
    {
        using var server = new NetfilterTestSupport.PeerEchoServer(_outside, 7000);
        // Without masquerade the outside has no route back to 10.99.0.2: no connection.
        Assert.Null(NetfilterTestSupport.Connect(_pod, "10.98.0.2", 7000, 2));

        var backend = new IptablesNftBackend();
        await backend.ApplyAsync(IPMasquerade.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork),
            IPAddress.Parse("10.99.0.2"), 24, "demo", "traffic"), CancellationToken.None);
        Assert.Equal("peer=10.98.0.1", NetfilterTestSupport.Connect(_pod, "10.98.0.2", 7000));

        await backend.ApplyAsync(IPMasquerade.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "traffic"), CancellationToken.None);
        Assert.DoesNotContain("CNI-", NetfilterTestSupport.Save("nat"), StringComparison.Ordinal);
    }
}
