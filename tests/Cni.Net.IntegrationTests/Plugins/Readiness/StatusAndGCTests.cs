using System.Text.Json;
using Cni.Net.Conventions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Readiness;

/// <summary>
/// STATUS that tells the truth (one test per not-ready cause) and GC/DEL across both netfilter layouts, with our
/// published plugins run inside a throwaway node namespace (<c>ip netns exec</c>).
/// </summary>
public sealed class StatusAndGCTests : IDisposable
{
    private readonly TestNamespace _node;

    public StatusAndGCTests()
    {
        Require.NotInRootNamespace();
        _node = new TestNamespace("rdy");
    }

    public void Dispose() => _node.Dispose();

    private Shell.Output Run(string plugin, string command, string config, string containerId = "", string cniPath = "/usr/lib/cni") =>
        Shell.Run("ip", ["netns", "exec", _node.Name, PluginTestNode.Ours(plugin)], config, new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = "",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = cniPath,
        });

    private static (int Code, string Msg) Error(Shell.Output r)
    {
        Assert.True(r.ExitCode != 0, $"expected a failure, got exit 0: {r.StdOut}");
        JsonElement e = JsonDocument.Parse(r.StdOut).RootElement;
        return (e.GetProperty("code").GetInt32(), e.GetProperty("msg").GetString()!);
    }

    private static void Ok(Shell.Output r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.StdOut}{r.StdErr}");

    [Fact]
    public void Bandwidth_Status_ReadyWhereTbfIfbAndMirredWork()
    {
        Ok(Run("bandwidth", "STATUS", """{"cniVersion":"1.1.0","name":"rdy","type":"bandwidth"}"""));
        Assert.DoesNotContain("cniprobe0", _node.ExecCheck("ip", "link", "show"), StringComparison.Ordinal);
    }

    [Fact]
    public void Portmap_Status_Ready_ThenNotReady_OnceIptablesLegacyHoldsRules()
    {
        const string config = """{"cniVersion":"1.1.0","name":"rdy","type":"portmap"}""";
        Ok(Run("portmap", "STATUS", config));
        _node.ExecCheck("iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-j", "ACCEPT");
        try
        {
            (int code, string msg) = Error(Run("portmap", "STATUS", config));
            Assert.Equal(50, code);
            Assert.Contains("legacy", msg, StringComparison.Ordinal);
        }
        finally
        {
            _node.Exec("iptables-legacy", "-t", "nat", "-F");
        }
    }

    [Fact]
    public void Bridge_Status_NotReady_WhenALinkOfAnotherKindHoldsTheBridgeName()
    {
        const string config = """{"cniVersion":"1.1.0","name":"rdy","type":"bridge","bridge":"rdybr0"}""";
        Ok(Run("bridge", "STATUS", config));
        _node.ExecCheck("ip", "link", "add", "rdybr0", "type", "veth", "peer", "name", "rdybr0p");
        (int code, string msg) = Error(Run("bridge", "STATUS", config));
        Assert.Equal(50, code);
        Assert.Equal("bridge: the bridge rdybr0 cannot be created: a link of kind 'veth' has that name", msg);
    }

    [Fact]
    public void Bridge_Status_NotReady_WhenItsIpamCannotBeReached()
    {
        string empty = Directory.CreateTempSubdirectory("cni-net-noipam-").FullName;
        try
        {
            (int code, string msg) = Error(Run("bridge", "STATUS",
                """{"cniVersion":"1.1.0","name":"rdy","type":"bridge","bridge":"rdybr1","ipam":{"type":"host-local","subnet":"10.66.0.0/24"}}""",
                cniPath: empty));
            Assert.Equal(50, code);
            Assert.StartsWith("bridge: the IPAM plugin is not ready: ", msg, StringComparison.Ordinal);
            Assert.Contains("host-local", msg, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Bridge_Status_NotReady_WhenItsIpamSaysSo_ExhaustedRange()
    {
        string data = Directory.CreateTempSubdirectory("cni-net-full-").FullName;
        try
        {
            // A /30 has exactly one address to hand out besides the gateway; reserve it the way host-local stores it.
            Directory.CreateDirectory(Path.Combine(data, "rdy"));
            File.WriteAllText(Path.Combine(data, "rdy", "10.66.1.2"), "someone\r\neth0");
            (int code, _) = Error(Run("bridge", "STATUS",
                """{"cniVersion":"1.1.0","name":"rdy","type":"bridge","bridge":"rdybr2","ipam":{"type":"host-local","subnet":"10.66.1.0/30","dataDir":""" +
                "\"" + data + "\"}}",
                cniPath: Path.GetDirectoryName(PluginTestNode.Ours("host-local"))!));
            Assert.Equal(50, code);
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [Fact]
    public void Portmap_DelAndGC_CleanTheNativeNftablesLayout_AfterABackendSwitch()
    {
        // Pods added while the config said backend "nftables" (the reference's layout, written by nft itself); the
        // config now has no backend (iptables on this node): DEL and GC still find their rules.
        string layout = "";
        foreach (string id in (ReadOnlySpan<string>)["ctr-sw1", "ctr-sw2", "ctr-keep"])
        {
            layout += $$"""
                add table ip cni_hostport { comment "CNI portmap plugin" ; }
                add chain ip cni_hostport hostports
                add chain ip cni_hostport masquerading { type nat hook postrouting priority 100 ; }
                add rule ip cni_hostport hostports tcp dport {{8080 + layout.Length % 7}} dnat to 10.1.2.3:80 comment "{{id}}"
                add rule ip cni_hostport masquerading ip saddr 10.1.2.3 ip daddr 10.1.2.3 masquerade comment "{{id}}"

                """;
        }
        Shell.Output r = Shell.Run("ip", ["netns", "exec", _node.Name, "nft", "-f", "-"], layout);
        Assert.True(r.ExitCode == 0, r.StdErr);
        const string config = """{"cniVersion":"1.1.0","name":"rdy","type":"portmap","capabilities":{"portMappings":true}}""";
        Ok(Run("portmap", "DEL", config, containerId: "ctr-sw1"));
        string after = _node.ExecCheck("nft", "list", "table", "ip", NftablesPortMap.Table);
        Assert.DoesNotContain("ctr-sw1", after, StringComparison.Ordinal);
        Assert.Contains("ctr-sw2", after, StringComparison.Ordinal);

        // GC removes what this network wrote for gone containers (its rules carry the network in an owner tag), but
        // not rules that say nothing of their network: ctr-sw2's could be another network's, which a GC of "rdy"
        // must never touch.
        using (var ns = Cni.Net.Namespaces.NetworkNamespace.Open(_node.Path))
        {
            ns.Run(() =>
            {
                NftablesPortMap.Add("rdy", "ctr-ours", System.Net.IPAddress.Parse("10.1.2.5"), [new(8090, 80, "tcp")], snat: true);
                NftablesPortMap.Add("other", "ctr-other", System.Net.IPAddress.Parse("10.1.3.5"), [new(8091, 80, "tcp")], snat: true);
            });
        }
        Ok(Run("portmap", "GC", """{"cniVersion":"1.1.0","name":"rdy","type":"portmap","cni.dev/valid-attachments":[{"containerID":"ctr-keep","ifname":"eth0"}]}"""));
        after = _node.ExecCheck("nft", "list", "table", "ip", NftablesPortMap.Table);
        Assert.DoesNotContain("ctr-ours", after, StringComparison.Ordinal);
        Assert.Equal(3, after.Split("comment \"ctr-other\"").Length - 1);
        Assert.Equal(2, after.Split("comment \"ctr-sw2\"").Length - 1);
        Assert.Equal(2, after.Split("comment \"ctr-keep\"").Length - 1);
    }

    [Fact]
    public void Bridge_DelAndGC_CleanTheNativeNftablesMasqueradeLayout_LegacyAttachmentsKey()
    {
        string comment(string id) => NftablesIPMasquerade.Comment("rdy", "eth0", id);
        string layout = """
            add table inet cni_plugins_masquerade
            add chain inet cni_plugins_masquerade masq_checks

            """;
        foreach (string id in (ReadOnlySpan<string>)["ctr-m1", "ctr-m2", "ctr-m3"])
        {
            layout += $"add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.1.2.3 ip daddr != 10.1.2.0/24 masquerade comment \"{comment(id)}\"\n";
        }
        Shell.Output r = Shell.Run("ip", ["netns", "exec", _node.Name, "nft", "-f", "-"], layout);
        Assert.True(r.ExitCode == 0, r.StdErr);

        const string config = """{"cniVersion":"1.1.0","name":"rdy","type":"bridge","bridge":"rdybr3","ipMasq":true}""";
        Ok(Run("bridge", "DEL", config, containerId: "ctr-m1"));
        string after = _node.ExecCheck("nft", "list", "chain", "inet", NftablesIPMasquerade.Table, NftablesIPMasquerade.Chain);
        Assert.DoesNotContain("id: ctr-m1", after, StringComparison.Ordinal);
        Assert.Contains("id: ctr-m2", after, StringComparison.Ordinal);

        // GC with only the legacy key libcni also sends.
        Ok(Run("bridge", "GC", """{"cniVersion":"1.1.0","name":"rdy","type":"bridge","bridge":"rdybr3","ipMasq":true,"cni.dev/attachments":[{"containerID":"ctr-m3","ifname":"eth0"}]}"""));
        after = _node.ExecCheck("nft", "list", "chain", "inet", NftablesIPMasquerade.Table, NftablesIPMasquerade.Chain);
        Assert.DoesNotContain("id: ctr-m2", after, StringComparison.Ordinal);
        Assert.Contains("id: ctr-m3", after, StringComparison.Ordinal);
    }
}
