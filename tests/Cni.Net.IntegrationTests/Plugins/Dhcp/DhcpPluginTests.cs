using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Dhcp;

/// <summary>
/// Our dhcp IPAM plugin and its daemon against busybox udhcpd in a throwaway namespace: the pod's interface is a macvlan
/// on a veth whose other end is the server's. Every test stops the daemon and udhcpd (DhcpTestNetwork.Dispose).
/// </summary>
public sealed class DhcpPluginTests
{
    private static PluginTestNode Node(string macvlan = "ours") => new(
        ("macvlan", macvlan == "ours" ? PluginTestNode.Ours("macvlan") : PluginTestNode.Reference("macvlan")),
        ("dhcp", PluginTestNode.Ours("dhcp")));

    private static string Conflist(DhcpTestNetwork net, string ipamKeys = "") =>
        $$$"""{"cniVersion":"1.0.0","name":"dhnet","plugins":[{"type":"macvlan","master":"{{{net.Parent}}}","ipam":{"type":"dhcp","daemonSocketPath":"{{{net.SocketPath}}}"{{{ipamKeys}}}}}]}""";

    private static string Mac(TestNamespace pod, string ifName = "eth0") => pod.IpJson("link", "show", ifName)[0].GetProperty("address").GetString()!;

    [Fact]
    public async Task AddCheckDel_LeaseOnThePodInterface_ReleasedOnDel()
    {
        using var net = new DhcpTestNetwork();
        net.StartDaemon("-timeout", "2s");
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhpod");
        string conflist = Conflist(net);

        CniResult result = await node.AddAsync(conflist, pod, "ctr-dhcp-a");

        CniIPConfig ip = Assert.Single(result.IPs);
        Assert.StartsWith("10.78.0.1", ip.Address.ToString(), StringComparison.Ordinal);
        Assert.Equal(24, ip.Address.PrefixLength);
        Assert.Equal("10.78.0.1", ip.Gateway?.ToString());
        Assert.Contains(result.Routes, r => r.Destination.ToString() == "0.0.0.0/0" && r.Gateway?.ToString() == "10.78.0.1");
        // The kernel has the leased address on the pod's interface, and the server's lease names the interface's MAC.
        JsonElement addr = pod.IpJson("addr", "show", "eth0")[0];
        Assert.Contains(addr.GetProperty("addr_info").EnumerateArray(),
            a => a.GetProperty("local").GetString() == ip.Address.Address.ToString() && a.GetProperty("prefixlen").GetInt32() == 24);
        var lease = Assert.Single(net.Leases());
        Assert.Equal(Mac(pod), lease.Key);
        Assert.Equal(ip.Address.Address.ToString(), lease.Value.Address);
        Assert.InRange(lease.Value.SecondsLeft, 3000, 3600);
        // The daemon, linked statically as our plugins are, has loaded no library at run time: OpenSSL once came in
        // through RandomNumberGenerator (its transaction ids), and the static process then died at random.
        string maps = File.ReadAllText($"/proc/{net.DaemonPid}/maps");
        Assert.DoesNotContain(".so", maps, StringComparison.Ordinal);
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "10.78.0.1").ExitCode);
        Assert.Contains("ctr-dhcp-a/dhnet/eth0: lease acquired", net.DaemonLog, StringComparison.Ordinal);

        // The plugin alone, ADD again for the same attachment: the daemon answers the lease it holds (with the
        // server's DNS, which macvlan does not pass on), without a second lease.
        string plugin = $$$"""{"cniVersion":"1.1.0","name":"dhnet","type":"macvlan","master":"{{{net.Parent}}}","ipam":{"type":"dhcp","daemonSocketPath":"{{{net.SocketPath}}}","priority":50}}""";
        Shell.Output again = node.Exec(PluginTestNode.Ours("dhcp"), "ADD", plugin, "ctr-dhcp-a", pod.Path);
        Assert.Equal(0, again.ExitCode);
        CniResult held = CniResult.Parse(System.Text.Encoding.UTF8.GetBytes(again.StdOut));
        Assert.Equal(ip.Address, Assert.Single(held.IPs).Address);
        Assert.Equal(("10.78.0.53", "dhcp.test"), (Assert.Single(held.Dns!.Nameservers), held.Dns.Domain));
        Assert.All(held.Routes, r => Assert.Equal(50, r.Priority)); // ipam.priority is the routes' metric (a 1.1.0 field)
        Assert.Single(net.Leases());

        await node.CheckAsync(conflist, pod, "ctr-dhcp-a");
        await node.DelAsync(conflist, pod.Path, "ctr-dhcp-a");

        Assert.Equal(0, net.Leases()[lease.Key].SecondsLeft); // released: udhcpd marks it expired
        Assert.Contains("ctr-dhcp-a/dhnet/eth0: releasing lease", net.DaemonLog, StringComparison.Ordinal);
        Assert.DoesNotContain("eth0", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
        await node.DelAsync(conflist, pod.Path, "ctr-dhcp-a"); // again: nothing held, still fine
    }

    [Fact]
    public async Task Daemon_RenewsTheLease_BeforeItRunsOut()
    {
        using var net = new DhcpTestNetwork(leaseSeconds: 4);
        net.StartDaemon("-timeout", "2s");
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhren");
        string conflist = Conflist(net);
        await node.AddAsync(conflist, pod, "ctr-dhcp-r");
        string mac = Mac(pod);

        // Three lease times later the lease would long have run out without renewals at T1 (2 s).
        await Task.Delay(TimeSpan.FromSeconds(9), TestContext.Current.CancellationToken);
        Assert.InRange(net.Leases()[mac].SecondsLeft, 1, 4);
        Assert.True(net.DaemonLog.Split('\n').Count(l => l.Contains("lease renewed", StringComparison.Ordinal)) >= 3, net.DaemonLog);

        await node.DelAsync(conflist, pod.Path, "ctr-dhcp-r");
        Assert.Equal(0, net.Leases()[mac].SecondsLeft);
    }

    [Fact]
    public async Task ReferenceMacvlan_WithOurDhcp_GetsTheLease()
    {
        using var net = new DhcpTestNetwork();
        net.StartDaemon("-timeout", "2s");
        using PluginTestNode node = Node(macvlan: "reference");
        using var pod = new TestNamespace("dhref");
        string conflist = Conflist(net, ipamKeys: ",\"request\":[{\"option\":\"6\"}]");
        CniResult result = await node.AddAsync(conflist, pod, "ctr-dhcp-ref");
        string address = Assert.Single(result.IPs).Address.Address.ToString();
        string mac = Mac(pod);
        Assert.Equal(address, net.Leases()[mac].Address);
        Assert.Contains("default via 10.78.0.1 dev eth0", pod.ExecCheck("ip", "route"), StringComparison.Ordinal);

        await node.DelAsync(conflist, pod.Path, "ctr-dhcp-ref");
        Assert.Equal(0, net.Leases()[mac].SecondsLeft);
    }

    [Fact]
    public async Task Daemon_StopsCleanly_RemovingSocketAndPidFile_WithoutReleasingLeases()
    {
        using var net = new DhcpTestNetwork();
        net.StartDaemon("-timeout", "2s");
        Assert.Equal(net.DaemonPid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(net.PidFile).Trim());
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhstop");
        await node.AddAsync(Conflist(net), pod, "ctr-dhcp-s");
        string mac = Mac(pod);

        Assert.Equal(0, net.StopDaemon());
        Assert.False(File.Exists(net.SocketPath));
        Assert.False(File.Exists(net.PidFile));
        // A daemon restart must not take the address away from a running pod.
        Assert.True(net.Leases()[mac].SecondsLeft > 0);
    }

    [Fact]
    public async Task GC_ReleasesTheLeasesOfAttachmentsNoLongerValid()
    {
        using var net = new DhcpTestNetwork();
        net.StartDaemon("-timeout", "2s");
        using PluginTestNode node = Node();
        using var keep = new TestNamespace("dhkeep");
        using var gone = new TestNamespace("dhgone");
        string conflist = Conflist(net).Replace("\"cniVersion\":\"1.0.0\"", "\"cniVersion\":\"1.1.0\"", StringComparison.Ordinal);
        await node.AddAsync(conflist, keep, "ctr-dhcp-keep");
        await node.AddAsync(conflist, gone, "ctr-dhcp-gone");
        string keepMac = Mac(keep), goneMac = Mac(gone);
        Assert.All(net.Leases().Values, l => Assert.True(l.SecondsLeft > 0));

        var list = NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(conflist));
        IReadOnlyList<CniException> errors = await node.Executor.GCAsync(list, [new CniAttachmentId("ctr-dhcp-keep", "eth0")],
            TestContext.Current.CancellationToken);

        Assert.Empty(errors);
        Dictionary<string, (string Address, long SecondsLeft)> leases = net.Leases();
        Assert.True(leases[keepMac].SecondsLeft > 0);
        Assert.Equal(0, leases[goneMac].SecondsLeft);
        Assert.Contains("ctr-dhcp-gone/dhnet/eth0: releasing lease", net.DaemonLog, StringComparison.Ordinal);
        Assert.DoesNotContain("ctr-dhcp-keep/dhnet/eth0: releasing lease", net.DaemonLog, StringComparison.Ordinal);
        await node.DelAsync(conflist, keep.Path, "ctr-dhcp-keep");
        await node.DelAsync(conflist, gone.Path, "ctr-dhcp-gone");
    }

    [Fact]
    public async Task HostPrefix_PrefixesTheSocketAndTheNetnsPath()
    {
        // A daemon in a container sees the host's root under -hostprefix: here a directory whose run/netns holds a
        // link to the pod's namespace file, so the daemon can only find the pod through the prefix.
        using var net = new DhcpTestNetwork();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhpre");
        string prefix = Path.Combine(Path.GetDirectoryName(net.SocketPath)!, "host");
        Directory.CreateDirectory(prefix + "/run/netns");
        File.CreateSymbolicLink(prefix + pod.Path, pod.Path);
        net.StartDaemonListeningOn(prefix + net.SocketPath, "-hostprefix", prefix, "-timeout", "2s");
        string conflist = Conflist(net).Replace(net.SocketPath, prefix + net.SocketPath, StringComparison.Ordinal);

        CniResult result = await node.AddAsync(conflist, pod, "ctr-dhcp-pre");

        Assert.Equal(Assert.Single(result.IPs).Address.Address.ToString(), net.Leases()[Mac(pod)].Address);
        Assert.Contains($"listening on {prefix}{net.SocketPath}", net.DaemonLog, StringComparison.Ordinal);
        File.Delete(prefix + pod.Path);
        await node.DelAsync(conflist, pod.Path, "ctr-dhcp-pre"); // the lease is held: released without opening the netns
    }

    [Fact]
    public void NoDaemon_IsCode11_NamingTheSocket()
    {
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhnod");
        string socket = $"/tmp/cni-dhcp-test-none-{Environment.ProcessId}.sock";
        string config = $$$"""{"cniVersion":"1.0.0","name":"dhnet","type":"macvlan","ipam":{"type":"dhcp","daemonSocketPath":"{{{socket}}}"}}""";
        Shell.Output r = node.Exec(PluginTestNode.Ours("dhcp"), "ADD", config, "ctr-dhcp-n", pod.Path);
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(11u, error.GetProperty("code").GetUInt32());
        Assert.Contains($"the DHCP daemon (dhcp daemon) is not running (no listener on {socket})", error.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServer_AddIsCode11_AfterTheResendTimeout_AndNothingIsLeft()
    {
        using var net = new DhcpTestNetwork();
        net.StartDaemon("-timeout", "1s", "-resendtimeout", "3s");
        Shell.Check("ip", "link", "set", net.Parent, "down"); // the server is unreachable
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhnos");
        var e = await Assert.ThrowsAsync<CniException>(async () => await node.AddAsync(Conflist(net), pod, "ctr-dhcp-x"));
        Assert.Equal(CniErrorCode.TryAgainLater, e.Code);
        Assert.Contains("could not acquire a lease within 3 s", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("eth0", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal); // macvlan removed its link
    }

    [Theory]
    [InlineData("""{"cniVersion":"1.0.0","name":"dhnet","type":"macvlan","ipam":{"type":"dhcp","request":[{"option":"no-such"}]}}""", 7, "Can not parse option \"no-such\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"dhnet","type":"macvlan","ipam":{"type":"dhcp","provide":[{"option":"host-name","value":"VALUE"}]}}""", 7, "value too long for option \"host-name\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"dhnet","type":"macvlan"}""", 7, "IPAM config missing 'ipam' key")]
    [InlineData("""{"cniVersion":"1.0.0","name":"dhnet","type":"macvlan","ipam":{"type":"dhcp","priority":"high"}}""", 7, "priority")]
    [InlineData("""{"cniVersion":"1.0.0","name":"dhnet",""", 6, "")]
    public void BadConfig_IsRefused_WithOrWithoutADaemon(string config, uint code, string messagePart)
    {
        config = config.Replace("VALUE", new string('x', 256), StringComparison.Ordinal);
        using var net = new DhcpTestNetwork();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("dhbad");
        foreach (bool daemon in new[] { false, true })
        {
            if (daemon)
            {
                net.StartDaemon();
            }
            string withSocket = config.Replace("\"type\":\"dhcp\"", $"\"type\":\"dhcp\",\"daemonSocketPath\":\"{net.SocketPath}\"", StringComparison.Ordinal);
            Shell.Output r = node.Exec(PluginTestNode.Ours("dhcp"), "ADD", withSocket, "ctr-dhcp-bad", pod.Path);
            Assert.Equal(1, r.ExitCode);
            JsonElement error = PluginTestNode.ParseError(r.StdOut);
            Assert.Equal(code, error.GetProperty("code").GetUInt32());
            Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(net.Leases());
    }

    [Fact]
    public void Version_NeedsNoDaemon()
    {
        using PluginTestNode node = Node();
        Shell.Output r = node.Exec(PluginTestNode.Ours("dhcp"), "VERSION", """{"cniVersion":"1.0.0"}""", "", null);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("\"supportedVersions\"", r.StdOut, StringComparison.Ordinal);
    }
}
