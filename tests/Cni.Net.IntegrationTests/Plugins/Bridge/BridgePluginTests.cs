using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Cni.Net.Conventions;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>Our published bridge plugin alone: traffic, idempotent DEL, the options, and bad input with its error codes.</summary>
public class BridgePluginTests
{
    private static PluginTestNode OurNode() =>
        new(("bridge", PluginTestNode.Ours("bridge")), ("host-local", PluginTestNode.Reference("host-local")));

    [Fact]
    public async Task TwoPods_OnOneBridge_PingEachOtherAndTheGateway()
    {
        using PluginTestNode node = OurNode();
        using var a = new TestNamespace("brpa");
        using var b = new TestNamespace("brpb");
        string conflist = node.Conflist();
        CniResult ra = await node.AddAsync(conflist, a, "ctr-ping-a");
        CniResult rb = await node.AddAsync(conflist, b, "ctr-ping-b");
        string ipA = ra.IPs[0].Address.Address.ToString(), ipB = rb.IPs[0].Address.Address.ToString();
        Assert.NotEqual(ipA, ipB);

        Assert.Equal(0, a.Exec("ping", "-c", "2", "-W", "2", ipB).ExitCode);
        Assert.Equal(0, b.Exec("ping", "-c", "2", "-W", "2", ipA).ExitCode);
        Assert.Equal(0, a.Exec("ping", "-c", "1", "-W", "2", "10.77.0.1").ExitCode);
        Assert.Equal(0, b.Exec("ping", "-c", "1", "-W", "2", "10.77.0.1").ExitCode);

        await node.DelAsync(conflist, a.Path, "ctr-ping-a");
        Assert.NotEqual(0, b.Exec("ping", "-c", "1", "-W", "1", ipA).ExitCode);
        await node.DelAsync(conflist, b.Path, "ctr-ping-b");
        Assert.Empty(PluginTestNode.NodeVeths());
        Assert.Empty(node.Reservations());
    }

    [Fact]
    public async Task Add_NodeSideEffects_AreTheReferences()
    {
        // Regressions found by ReferenceParityTests: the host veth takes no router advertisements (accept_ra=0), the
        // gateway bridge pins the MAC it had before the pod's port joined (its own, with a permanent fdb entry, not
        // the port's), and bridge netfilter is left as the node has it (the reference never writes it).
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        const string CallIptables = "/proc/sys/net/bridge/bridge-nf-call-iptables";
        File.WriteAllText(CallIptables, "0");
        try
        {
            string conflist = node.Conflist();
            CniResult result = await node.AddAsync(conflist, pod, "ctr-side-1");
            string hostVeth = result.Interfaces[1].Name;

            Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{hostVeth}/accept_ra").Trim());
            Assert.Equal("0", File.ReadAllText($"/proc/sys/net/ipv6/conf/{node.Bridge}/accept_ra").Trim());
            Assert.Equal("0", File.ReadAllText(CallIptables).Trim());
            string bridgeMac = Shell.Json("ip", "-j", "link", "show", "dev", node.Bridge)[0].GetProperty("address").GetString()!;
            string vethMac = Shell.Json("ip", "-j", "link", "show", "dev", hostVeth)[0].GetProperty("address").GetString()!;
            Assert.NotEqual(vethMac, bridgeMac);
            Assert.Equal(bridgeMac, result.Interfaces[0].Mac);
            Assert.Contains($"{bridgeMac} dev {node.Bridge} master {node.Bridge} permanent", Shell.Check("bridge", "fdb", "show"), StringComparison.Ordinal);

            await node.DelAsync(conflist, pod.Path, "ctr-side-1");
        }
        finally
        {
            File.WriteAllText(CallIptables, "1");
        }
    }

    [Fact]
    public async Task Add_TurnsTheBridgesAcceptRaOffAgain_WhenItWasTurnedOnBetweenAdds()
    {
        // The bridge's accept_ra is checked from the kernel's report of the link, not written blindly at every ADD as
        // the reference does: the end state must still be the reference's, whatever happened in between.
        using PluginTestNode node = OurNode();
        using var a = new TestNamespace("brraa");
        using var b = new TestNamespace("brrab");
        string conflist = node.Conflist();
        string acceptRa = $"/proc/sys/net/ipv6/conf/{node.Bridge}/accept_ra";
        await node.AddAsync(conflist, a, "ctr-ra-a");
        Assert.Equal("0", File.ReadAllText(acceptRa).Trim());

        File.WriteAllText(acceptRa, "2");
        await node.AddAsync(conflist, b, "ctr-ra-b");
        Assert.Equal("0", File.ReadAllText(acceptRa).Trim());

        await node.DelAsync(conflist, b.Path, "ctr-ra-b");
        await node.DelAsync(conflist, a.Path, "ctr-ra-a");
    }

    [Fact]
    public async Task Del_Repeated_AndWithoutNetns_Succeeds_AndRemovesTheMasqueradeChain()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist();
        await node.AddAsync(conflist, pod, "ctr-del-1");
        string chain = CniNames.ContainerChain("brtest", "ctr-del-1");
        Assert.Contains(chain, PluginTestNode.Nat(), StringComparison.Ordinal);

        // DEL without a netns (the pod's sandbox is gone): the reference plugin keeps the chain; ours removes it.
        await node.DelAsync(conflist, null, "ctr-del-1");
        Assert.DoesNotContain(chain, PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations());

        await node.DelAsync(conflist, pod.Path, "ctr-del-1");
        await node.DelAsync(conflist, pod.Path, "ctr-del-1");
        await node.DelAsync(conflist, "/run/netns/cnt-does-not-exist", "ctr-del-1");
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Fact]
    public async Task Options_Mtu_Promisc_NoGateway_NoMasq_ReachTheKernel()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist(ipMasq: false, gateway: false, hairpin: false, extraBridgeKeys: ",\"mtu\":1300,\"promiscMode\":true");
        CniResult result = await node.AddAsync(conflist, pod, "ctr-opt-1");

        JsonElement bridge = Shell.Json("ip", "-j", "-d", "link", "show", node.Bridge)[0];
        Assert.Equal(1300, bridge.GetProperty("mtu").GetInt32());
        Assert.Contains("PROMISC", bridge.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(1300, pod.IpJson("link", "show", "eth0")[0].GetProperty("mtu").GetInt32());
        Assert.Equal(1300, Shell.Json("ip", "-j", "link", "show", result.Interfaces[1].Name)[0].GetProperty("mtu").GetInt32());
        JsonElement port = Shell.Json("ip", "-j", "-d", "link", "show", result.Interfaces[1].Name)[0];
        Assert.False(port.GetProperty("linkinfo").GetProperty("info_slave_data").GetProperty("hairpin").GetBoolean());
        // host-local still names a gateway (.1); without isGateway the bridge just does not carry it.
        Assert.DoesNotContain("10.77.0.1", Shell.Check("ip", "-o", "addr", "show", "dev", node.Bridge), StringComparison.Ordinal);
        Assert.DoesNotContain("default", pod.ExecCheck("ip", "route"), StringComparison.Ordinal);
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);

        await node.CheckAsync(conflist, pod, "ctr-opt-1");
        await node.DelAsync(conflist, pod.Path, "ctr-opt-1");
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Fact]
    public void HairpinAndPromisc_Together_Code7()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(extraBridgeKeys: ",\"promiscMode\":true"), "ctr-hp-1", pod.Path);
        AssertError(r, 7, "cannot set hairpin mode and promiscuous mode at the same time");
        AssertNothingLeft(node);
    }

    [Fact]
    public async Task Vlan_MakesTheHostVethAnAccessPort()
    {
        using (var probe = new TestNamespace("vlanprobe"))
        {
            Shell.Output r = Shell.Run("ip", ["-n", probe.Name, "link", "add", "probe0", "type", "bridge", "vlan_filtering", "1"]);
            if (r.ExitCode != 0)
            {
                Assert.Skip($"kernel lacks bridge VLAN filtering: {r.StdErr.Trim()}");
            }
        }
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist(gateway: false, extraBridgeKeys: ",\"vlan\":100,\"preserveDefaultVlan\":false");
        CniResult result = await node.AddAsync(conflist, pod, "ctr-vlan-1");

        JsonElement port = Shell.Json("bridge", "-j", "vlan", "show", "dev", result.Interfaces[1].Name).EnumerateArray().Single();
        JsonElement vlan = Assert.Single(port.GetProperty("vlans").EnumerateArray());
        Assert.Equal(100, vlan.GetProperty("vlan").GetInt32());
        Assert.Equal(["PVID", "Egress Untagged"], vlan.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!).ToArray());
        await node.DelAsync(conflist, pod.Path, "ctr-vlan-1");
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Fact]
    public async Task Check_FailsWithCode100_WhenTheAddressIsGone()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist();
        await node.AddAsync(conflist, pod, "ctr-chk-1");
        await node.CheckAsync(conflist, pod, "ctr-chk-1");
        pod.ExecCheck("ip", "addr", "del", "10.77.0.2/24", "dev", "eth0");

        CniException e = await Assert.ThrowsAsync<CniException>(() => node.CheckAsync(conflist, pod, "ctr-chk-1").AsTask());
        Assert.Equal(100u, (uint)e.Code);
        Assert.Contains("lacks address 10.77.0.2/24", e.Message, StringComparison.Ordinal);
        await node.DelAsync(conflist, pod.Path, "ctr-chk-1");
    }

    [Fact]
    public void BadInput_MalformedConfig_Code6()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", "{\"cniVersion\":\"1.0.0\",\"name\":", "ctr-bad-1", pod.Path);
        AssertError(r, 6, "invalid JSON");
        AssertNothingLeft(node);
    }

    [Fact]
    public void Mac_RuntimeConfigBeforeArgs_SetOnThePodInterface_WrongTypeIsCode7()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brmac");
        string bridge = PluginTestNode.Ours("bridge");
        string both = node.PluginConfig(ipMasq: false,
            extraBridgeKeys: ",\"runtimeConfig\":{\"mac\":\"0a:58:0a:4d:00:05\"},\"args\":{\"cni\":{\"mac\":\"0a:58:0a:4d:00:06\"}}");
        Shell.Output r = node.Exec(bridge, "ADD", both, "ctr-mac-1", pod.Path);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Equal("0a:58:0a:4d:00:05", pod.IpJson("link", "show", "eth0")[0].GetProperty("address").GetString());
        Assert.Equal(0, node.Exec(bridge, "DEL", both, "ctr-mac-1", pod.Path).ExitCode);

        string argsOnly = node.PluginConfig(ipMasq: false, extraBridgeKeys: ",\"args\":{\"cni\":{\"mac\":\"0a:58:0a:4d:00:06\"}}");
        r = node.Exec(bridge, "ADD", argsOnly, "ctr-mac-2", pod.Path);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Equal("0a:58:0a:4d:00:06", pod.IpJson("link", "show", "eth0")[0].GetProperty("address").GetString());
        Assert.Equal(0, node.Exec(bridge, "DEL", argsOnly, "ctr-mac-2", pod.Path).ExitCode);

        string wrong = node.PluginConfig(ipMasq: false, extraBridgeKeys: ",\"runtimeConfig\":{\"mac\":5}");
        AssertError(node.Exec(bridge, "ADD", wrong, "ctr-mac-3", pod.Path), 7, "runtimeConfig.mac");
        AssertNothingLeft(node);
    }

    [Fact]
    public void EarlyIpam_StartsBeforeTheConfigIsRead_AndIsReleasedWhenTheConfigIsRefused_ButNotForATakenIfname()
    {
        // An IPAM plugin that records each call: bridge (StartsIpamBeforeRead) starts it before reading its config, so
        // a config Validate refuses still shows an ADD, then the release DEL, and the error is bridge's own.
        string scratch = Directory.CreateTempSubdirectory("cni-early-ipam-").FullName;
        try
        {
            string log = Path.Combine(scratch, "calls");
            string recorder = Path.Combine(scratch, "recorder");
            File.WriteAllText(recorder, $$"""
                #!/bin/bash
                cat > /dev/null
                echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_IFNAME" >> {{log}}
                if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion":"1.0.0","ips":[{"address":"10.77.0.9/24"}]}'; fi
                """);
            File.SetUnixFileMode(recorder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var node = new PluginTestNode(("bridge", PluginTestNode.Ours("bridge")), ("recorder", recorder));
            using var pod = new TestNamespace("brpod");
            string refused = node.PluginConfig(extraBridgeKeys: ",\"promiscMode\":true")
                .Replace("\"type\":\"host-local\"", "\"type\":\"recorder\"", StringComparison.Ordinal);

            AssertError(node.Exec(PluginTestNode.Ours("bridge"), "ADD", refused, "ctr-early-1", pod.Path), 7,
                "cannot set hairpin mode and promiscuous mode at the same time");
            Assert.Equal(["ADD ctr-early-1 eth0", "DEL ctr-early-1 eth0"], File.ReadAllLines(log));
            Assert.Empty(PluginTestNode.NodeVeths());

            // eth0 already in the pod: releasing an allocation for it could free the address of the attachment that
            // owns it, so bridge does not start IPAM early; the refused config reaches no IPAM call at all.
            File.Delete(log);
            pod.ExecCheck("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer");
            AssertError(node.Exec(PluginTestNode.Ours("bridge"), "ADD", refused, "ctr-early-2", pod.Path), 7,
                "cannot set hairpin mode and promiscuous mode at the same time");
            Assert.False(File.Exists(log), File.Exists(log) ? File.ReadAllText(log) : "");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void BadInput_WrongTypedKey_Code7_NamingTheKey()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        string config = node.PluginConfig().Replace("\"hairpinMode\":true", "\"hairpinMode\":\"yes\"", StringComparison.Ordinal);
        AssertError(node.Exec(PluginTestNode.Ours("bridge"), "ADD", config, "ctr-bad-2", pod.Path), 7, "hairpinMode");
        AssertNothingLeft(node);
    }

    [Fact]
    public void BadInput_UnknownCniVersion_Code1_ListingTheSupportedOnes()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(cniVersion: "9.9.9"), "ctr-bad-3", pod.Path);
        JsonElement error = AssertError(r, 1, "incompatible CNI versions");
        Assert.Contains("\"1.1.0\"", error.GetProperty("details").GetString(), StringComparison.Ordinal);
        AssertNothingLeft(node);
    }

    [Theory]
    [InlineData("CNI_IFNAME")]
    [InlineData("CNI_CONTAINERID")]
    [InlineData("CNI_NETNS")]
    [InlineData("CNI_PATH")]
    public void BadInput_MissingEnvironment_Code4_NamingTheVariable(string variable)
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(), "ctr-bad-4", pod.Path, "eth0", variable);
        AssertError(r, 4, variable);
        AssertNothingLeft(node);
    }

    [Fact]
    public void BadInput_MissingNetnsOnAdd_Code3_NothingCreated()
    {
        using PluginTestNode node = OurNode();
        Shell.Output r = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(), "ctr-bad-5", "/run/netns/cnt-missing-pod");
        AssertError(r, 3, "cnt-missing-pod");
        Assert.NotEqual(0, Shell.Run("ip", ["link", "show", node.Bridge]).ExitCode);
        AssertNothingLeft(node);
        // The runtime's DEL after the failed ADD succeeds.
        Assert.Equal(0, node.Exec(PluginTestNode.Ours("bridge"), "DEL", node.PluginConfig(), "ctr-bad-5", "/run/netns/cnt-missing-pod").ExitCode);
    }

    [Fact]
    public async Task BadInput_SecondAddForTheSameIfname_Code4_AndTheRuntimesDelLeavesNothing()
    {
        using PluginTestNode node = OurNode();
        using var pod = new TestNamespace("brpod");
        string conflist = node.Conflist();
        await node.AddAsync(conflist, pod, "ctr-twice-1");

        CniException e = await Assert.ThrowsAsync<CniException>(() => node.AddAsync(conflist, pod, "ctr-twice-1").AsTask());
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, e.Code);
        Assert.Contains("CNI_IFNAME: an interface named eth0 already exists", e.Message, StringComparison.Ordinal);
        // The failed ADD neither broke the first attachment nor kept a second address.
        Assert.Single(PluginTestNode.NodeVeths());
        Assert.Single(node.Reservations());

        await node.DelAsync(conflist, pod.Path, "ctr-twice-1");
        AssertNothingLeft(node);
        Assert.DoesNotContain("eth0", pod.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
    }

    private static JsonElement AssertError(Shell.Output r, uint code, string messagePart)
    {
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(code, error.GetProperty("code").GetUInt32());
        string text = error.GetProperty("msg").GetString() + " " + (error.TryGetProperty("details", out JsonElement d) ? d.GetString() : "");
        Assert.Contains(messagePart, text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.StdOut + r.StdErr, StringComparison.Ordinal);
        return error;
    }

    private static void AssertNothingLeft(PluginTestNode node)
    {
        Assert.Empty(PluginTestNode.NodeVeths());
        Assert.DoesNotContain("CNI-", PluginTestNode.Nat(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations());
    }
}
