using System.Net;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>
/// What a podman user does on a CNI network, driven through podman 4.3 itself (<see cref="PodmanHost"/>), one fresh
/// node per test: two containers ping each other, <c>-p hostPort:80</c> reaches busybox httpd in a container via the
/// node address (from the node and from a client) and via 127.0.0.1, and <c>podman rm</c> leaves nothing of a
/// container behind. The subclasses say which network: one of our own conflists, or the one podman writes. Each test
/// gets a node of its own, disposed with the test class; its Dispose fails the test when anything is left behind.
/// </summary>
public abstract class PodmanNetworkTests : IDisposable
{
    private const int HostPort = 18080;

    private protected PodmanNetworkTests(PodmanHost host) => Host = host;

    private protected PodmanHost Host { get; }

    /// <summary>Makes the network the containers join; returns its name and bridge.</summary>
    private protected abstract (string Network, string Bridge) NewNetwork();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Host.Dispose();
        }
    }

    [Fact]
    public void TwoContainers_GetAddressesInTheSubnet_AndPingEachOther()
    {
        PodmanHost host = Host;
        (string network, string bridge) = NewNetwork();
        PodmanContainer a = host.Run("pa", network, null, "sleep", "1000");
        PodmanContainer b = host.Run("pb", network, null, "sleep", "1000");

        var subnet = IPNetwork.Parse(host.Subnet);
        foreach (PodmanContainer c in new[] { a, b })
        {
            Assert.True(subnet.Contains(c.Address), $"{c.Name}: {c.Address} is outside {host.Subnet}");
            // The kernel agrees with podman: eth0 in the container carries the address, its node end is on the bridge.
            JsonElement eth0 = Shell.Json("nsenter", $"--net={c.NetnsPath}", "ip", "-j", "-4", "addr", "show", "dev", "eth0")[0];
            Assert.Equal(c.Address.ToString(), eth0.GetProperty("addr_info")[0].GetProperty("local").GetString());
            Assert.Equal(bridge, Shell.Json("ip", "-j", "link", "show", "dev", c.HostVeth)[0].GetProperty("master").GetString());
        }
        Assert.NotEqual(a.Address, b.Address);

        host.PodmanCheck("exec", a.Name, "ping", "-c", "1", "-W", "3", b.Address.ToString());
        host.PodmanCheck("exec", b.Name, "ping", "-c", "1", "-W", "3", a.Address.ToString());
    }

    [Fact]
    public void HostPort_ViaTheNodeAddress_ReachesTheContainer_FromTheNodeAndFromAClient()
    {
        PodmanHost host = Host;
        (string network, _) = NewNetwork();
        host.RunWebServer("web", network, $"{HostPort}:80");

        AssertServed(PodmanHost.Http(PodmanHost.NodeAddress, HostPort), "web");
        AssertServed(PodmanHost.Http(PodmanHost.NodeAddress, HostPort, host.Client), "web");
    }

    [Fact]
    public void HostPort_ViaLoopback_ReachesTheContainer()
    {
        PodmanHost host = Host;
        (string network, _) = NewNetwork();
        host.RunWebServer("web", network, $"{HostPort}:80");

        // A node-local client of localhost:<hostPort>: DNAT in OUTPUT, then routed out of the bridge, which the kernel
        // does for a 127.0.0.1 source only with route_localnet=1 on it (portmap sets it, as the reference does).
        AssertServed(PodmanHost.Http("127.0.0.1", HostPort), "web");
    }

    [Fact]
    public void Remove_LeavesNothingOfTheContainer_AndNetworkRemove_TakesTheBridge()
    {
        PodmanHost host = Host;
        (string network, string bridge) = NewNetwork();
        PodmanContainer web = host.RunWebServer("web", network, $"{HostPort}:80");
        PodmanContainer other = host.Run("other", network, null, "sleep", "1000");

        // What the removal must take away is there first.
        Assert.True(File.Exists(host.Private(web.SandboxKey)), $"no netns mount {web.SandboxKey}");
        Assert.True(File.Exists(host.Private($"/var/lib/cni/networks/{network}/{web.Address}")), "no host-local reservation");
        Assert.True(File.Exists(host.Private($"/var/lib/cni/results/{network}-{web.Id}-eth0")), "no libcni cache entry");
        Assert.Contains(web.Id, Shell.Check("iptables-save"), StringComparison.Ordinal);

        host.RemoveAndAssertLeftNothing(web);

        // The neighbour is untouched, and goes the same way.
        Shell.Check("ping", "-c", "1", "-W", "3", other.Address.ToString());
        host.RemoveAndAssertLeftNothing(other);
        Assert.Empty(Directory.GetFileSystemEntries(host.Private("/run/netns")));
        Assert.Empty(Shell.Json("ip", "-j", "link", "show", "master", bridge).EnumerateArray());

        host.PodmanCheck("network", "rm", network);
        Assert.False(PodmanHost.LinkExists(bridge), $"podman network rm left {bridge}");
    }

    private static void AssertServed(Shell.Output curl, string container)
    {
        if (curl.ExitCode != 0)
        {
            // What decides where the connection went: the NAT rules, route_localnet, the connection tracking.
            Assert.Fail($"curl failed ({curl.ExitCode}): {curl.StdErr}\n{Shell.Run("iptables-save", ["-t", "nat"]).StdOut}\n" +
                $"{Shell.Run("sysctl", ["-a", "--pattern", "route_localnet"]).StdOut}\n{Shell.Run("conntrack", ["-L"]).StdOut}");
        }
        Assert.Equal(PodmanHost.Page(container), curl.StdOut);
    }
}
