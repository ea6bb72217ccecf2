using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Execution;

/// <summary>
/// The reference Go plugins (/usr/lib/cni: bridge + host-local + portmap + bandwidth, and loopback) driven by
/// <see cref="CniChainExecutor"/> inside throwaway namespaces; kernel state is read back with ip/tc/iptables-save.
/// </summary>
public sealed class ReferenceChainTests : IDisposable
{
    internal const string ReferencePluginDir = "/usr/lib/cni";

    private readonly string _temp = Directory.CreateTempSubdirectory("cni-exec-it-").FullName;
    private readonly string _bridge = $"cnx{Environment.ProcessId % 10000}br{Interlocked.Increment(ref s_counter)}";
    private static int s_counter;

    public ReferenceChainTests()
    {
        Require.NotInRootNamespace();
    }

    public void Dispose()
    {
        Shell.Run("ip", ["link", "del", _bridge]);
        RemoveSharedPortmapChains();
        Directory.Delete(_temp, recursive: true);
    }

    internal static string ChainConfig(string name, string bridge, string dataDir, string subnet) => $$"""
        {
          "cniVersion": "1.0.0",
          "name": "{{name}}",
          "plugins": [
            {
              "type": "bridge", "bridge": "{{bridge}}", "isGateway": true, "ipMasq": true,
              "ipam": { "type": "host-local", "dataDir": "{{dataDir}}",
                        "ranges": [[{ "subnet": "{{subnet}}" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
            },
            { "type": "portmap", "capabilities": { "portMappings": true }, "snat": true },
            { "type": "bandwidth", "capabilities": { "bandwidth": true } }
          ]
        }
        """;

    internal static JsonObject CapabilityArgs => JsonNode.Parse("""
        {
          "portMappings": [ { "hostPort": 18080, "containerPort": 80, "protocol": "tcp" } ],
          "bandwidth": { "ingressRate": 8000000, "ingressBurst": 800000, "egressRate": 16000000, "egressBurst": 1600000 }
        }
        """)!.AsObject();

    private CniChainExecutor Executor()
    {
        var options = new CniExecutorOptions { CacheDirectory = Path.Combine(_temp, "cache"), PluginTimeout = TimeSpan.FromSeconds(60) };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(ReferencePluginDir);
        return new CniChainExecutor(options);
    }

    [Fact]
    public async Task BridgeHostLocalPortmapBandwidth_AddCheckDel_KernelStateAppearsAndIsGone()
    {
        using var ns = new TestNamespace("chain");
        string dataDir = Path.Combine(_temp, "ipam");
        NetworkConfigList net = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(ChainConfig("exectest", _bridge, dataDir, "10.99.0.0/24")));
        CniChainExecutor x = Executor();
        var request = new CniRuntimeRequest("ctr-exec-1", ns.Path, "eth0") { CapabilityArgs = CapabilityArgs };
        try
        {
            CniResult result = await x.AddAsync(net, request);

            // The result: three interfaces (bridge, host veth, pod eth0), one address from the range, gateway .1.
            Assert.Equal(CniVersion.V1_0_0, result.CniVersion);
            string ip = result.IPs.Single().Address.ToString();
            Assert.StartsWith("10.99.0.", ip, StringComparison.Ordinal);
            Assert.EndsWith("/24", ip, StringComparison.Ordinal);
            string podIp = ip.Split('/')[0];
            Assert.Contains(result.Interfaces, i => i.Name == "eth0" && i.Sandbox == ns.Path);

            // Kernel: eth0 in the pod has the address; the bridge holds the gateway on the node side.
            JsonElement eth0 = ns.IpJson("addr", "show", "dev", "eth0")[0];
            Assert.Contains(eth0.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == podIp);
            JsonElement bridge = Shell.Json("ip", "-j", "addr", "show", "dev", _bridge)[0];
            Assert.Contains(bridge.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == "10.99.0.1");
            string hostVeth = result.Interfaces.Single(i => i.Name.StartsWith("veth", StringComparison.Ordinal)).Name;
            Assert.Equal(_bridge, Shell.Json("ip", "-j", "-d", "link", "show", "dev", hostVeth)[0].GetProperty("master").GetString());

            // bandwidth: tbf on the host veth, an ifb (bwp…) with tbf for egress.
            Assert.Contains(Shell.Json("tc", "-j", "qdisc", "show", "dev", hostVeth).EnumerateArray(), q => q.GetProperty("kind").GetString() == "tbf");
            string[] ifbs = LinkNames().Where(n => n.StartsWith("bwp", StringComparison.Ordinal)).ToArray();
            Assert.Single(ifbs);

            // portmap + bridge ipMasq: per-container chains with the reference names.
            string nat = Shell.Check("iptables-save", "-t", "nat");
            Assert.Contains("-A CNI-HOSTPORT-DNAT", nat, StringComparison.Ordinal);
            Assert.Contains($"--to-destination {podIp}:80", nat, StringComparison.Ordinal);
            Assert.Contains($"-A POSTROUTING -s {podIp}/32", nat, StringComparison.Ordinal);

            // host-local reserved the address under our dataDir; the cache entry is in libcni's format and path.
            Assert.Equal("ctr-exec-1", File.ReadAllText(Path.Combine(dataDir, "exectest", podIp)).Split('\n')[0].Trim());
            CniCachedAttachment cached = Assert.Single(x.GetCachedAttachments());
            Assert.Equal(Path.Combine(_temp, "cache", "results", "exectest-ctr-exec-1-eth0"), cached.FilePath);

            // CHECK: bridge (first) passes; the reference portmap 1.1.1 then fails every IPv4-only pod with
            // "could not check ipv6 dnat" (a reference defect, reproduced by running it by hand), so exactly that error,
            // from that plugin, is what the runtime must get.
            CniException check = await Assert.ThrowsAsync<CniException>(async () => await x.CheckAsync(net, request));
            Assert.Equal((CniErrorCode)999, check.Code);
            Assert.StartsWith("plugin portmap failed (CHECK): could not check ipv6 dnat", check.Message, StringComparison.Ordinal);

            // Break the attachment behind the plugins' back: CHECK must now fail with the plugin's error.
            // (Not by removing the address: the reference bridge finds the masquerade rule to delete by the address on
            // eth0, so DEL would then leak it.)
            ns.ExecCheck("ip", "route", "del", "default");
            CniException broken = await Assert.ThrowsAsync<CniException>(async () => await x.CheckAsync(net, request));
            Assert.Contains("plugin bridge failed (CHECK)", broken.Message, StringComparison.Ordinal);

            // DEL with the netns and without capability args: they come from the cache, so portmap finds its rules.
            await x.DelAsync(net, new CniRuntimeRequest("ctr-exec-1", ns.Path, "eth0"));
            AssertNothingLeft(ns, dataDir, "exectest", podIp);
            Assert.Empty(x.GetCachedAttachments());

            // DEL again (and without netns) succeeds: everything is already gone.
            await x.DelAsync(net, new CniRuntimeRequest("ctr-exec-1", null, "eth0"));
        }
        finally
        {
            await SafeDel(x, net, request);
        }
    }

    [Fact]
    public async Task TwoContainersInParallel_GetDistinctAddresses_GCRemovesTheStaleOne()
    {
        using var ns1 = new TestNamespace("par1");
        using var ns2 = new TestNamespace("par2");
        string dataDir = Path.Combine(_temp, "ipam");
        NetworkConfigList net = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(ChainConfig("exectest2", _bridge, dataDir, "10.98.0.0/24")));
        CniChainExecutor x = Executor();
        var r1 = new CniRuntimeRequest("ctr-a", ns1.Path) { CapabilityArgs = CapabilityArgs };
        var r2 = new CniRuntimeRequest("ctr-b", ns2.Path);
        try
        {
            CniResult[] results = await Task.WhenAll(x.AddAsync(net, r1).AsTask(), x.AddAsync(net, r2).AsTask());
            Assert.NotEqual(results[0].IPs[0].Address.ToString(), results[1].IPs[0].Address.ToString());
            Assert.Equal(2, x.GetCachedAttachments().Count);

            // GC with only ctr-b valid: ctr-a is deleted through the cache (its netns and capability args come from there).
            IReadOnlyList<CniException> errors = await x.GCAsync(net, [new CniAttachmentId("ctr-b", "eth0")]);
            Assert.Empty(errors);
            Assert.Equal(["ctr-b"], x.GetCachedAttachments().Select(a => a.ContainerId));
            Assert.DoesNotContain("eth0", ns1.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
            Assert.Contains("eth0", ns2.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
            Assert.DoesNotContain("18080", Shell.Check("iptables-save", "-t", "nat"), StringComparison.Ordinal);

            await x.DelAsync(net, r2);
            AssertNothingLeft(ns2, dataDir, "exectest2", results[1].IPs[0].Address.ToString().Split('/')[0]);
        }
        finally
        {
            await SafeDel(x, net, r1);
            await SafeDel(x, net, r2);
        }
    }

    [Fact]
    public async Task Loopback_AddBringsLoUp_DelBringsItDown()
    {
        using var ns = new TestNamespace("lo");
        ns.ExecCheck("ip", "link", "set", "lo", "down");
        NetworkConfigList net = NetworkConfigList.Parse("""{"cniVersion":"1.0.0","name":"lo","plugins":[{"type":"loopback"}]}"""u8);
        CniChainExecutor x = Executor();
        var request = new CniRuntimeRequest("ctr-lo", ns.Path, "lo");
        CniResult result = await x.AddAsync(net, request);
        Assert.Contains(result.IPs, i => i.Address.ToString() == "127.0.0.1/8");
        Assert.Contains("UP", ns.IpJson("link", "show", "dev", "lo")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        await x.CheckAsync(net, request);
        await x.DelAsync(net, request);
        Assert.DoesNotContain("UP", ns.IpJson("link", "show", "dev", "lo")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Empty(x.GetCachedAttachments());
    }

    [Fact]
    public async Task ValidateAndVersion_AgainstReferencePlugins()
    {
        CniChainExecutor x = Executor();
        CniPluginVersionInfo info = await x.GetVersionInfoAsync("bandwidth");
        Assert.Equal([CniVersion.V0_3_0, CniVersion.V0_3_1, CniVersion.V0_4_0, CniVersion.V1_0_0], info.SupportedVersions);

        NetworkConfigList ok = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(ChainConfig("v", _bridge, _temp, "10.97.0.0/24")));
        Assert.Empty(await x.ValidateAsync(ok));

        // bandwidth cannot run 0.2.0 (it starts at 0.3.0); bridge and portmap can.
        NetworkConfigList old = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(
            ChainConfig("v", _bridge, _temp, "10.97.0.0/24").Replace("\"1.0.0\"", "\"0.2.0\"", StringComparison.Ordinal)));
        CniException e = Assert.Single(await x.ValidateAsync(old));
        Assert.Equal("plugin bandwidth does not support config version \"0.2.0\"", e.Message);
    }

    [Fact]
    public async Task FailedAdd_HaltsChain_DelThenLeavesNothing()
    {
        using var ns = new TestNamespace("fail");
        string dataDir = Path.Combine(_temp, "ipam");
        string extra = Path.Combine(_temp, "bin");
        Directory.CreateDirectory(extra);
        // A last plugin that refuses ADD: bridge, portmap and bandwidth have already done their work.
        File.WriteAllText(Path.Combine(extra, "refuse-add"), """
            #!/bin/sh
            cat >/dev/null
            if [ "$CNI_COMMAND" = ADD ]; then printf '{"cniVersion":"1.0.0","code":100,"msg":"refused"}'; exit 1; fi
            """);
        File.SetUnixFileMode(Path.Combine(extra, "refuse-add"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string conf = ChainConfig("exectest3", _bridge, dataDir, "10.96.0.0/24")
            .Replace("{ \"type\": \"bandwidth\", \"capabilities\": { \"bandwidth\": true } }",
                     "{ \"type\": \"bandwidth\", \"capabilities\": { \"bandwidth\": true } }, { \"type\": \"refuse-add\" }", StringComparison.Ordinal);
        NetworkConfigList net = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(conf));
        Assert.Equal(4, net.Plugins.Count);
        var options = new CniExecutorOptions { CacheDirectory = Path.Combine(_temp, "cache") };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(ReferencePluginDir);
        options.PluginDirectories.Add(extra);
        var x = new CniChainExecutor(options);
        var request = new CniRuntimeRequest("ctr-fail", ns.Path) { CapabilityArgs = CapabilityArgs };

        CniException e = await Assert.ThrowsAsync<CniException>(async () => await x.AddAsync(net, request));
        Assert.Equal((CniErrorCode)100, e.Code);
        Assert.Equal("plugin refuse-add failed (ADD): refused", e.Message);
        Assert.Empty(x.GetCachedAttachments());
        // No rollback inside the chain: the earlier plugins' work is still there until the runtime's DEL.
        string podIp = ns.IpJson("addr", "show", "dev", "eth0")[0].GetProperty("addr_info").EnumerateArray()
            .First(a => a.GetProperty("family").GetString() == "inet").GetProperty("local").GetString()!;
        Assert.Contains($"{podIp}:80", Shell.Check("iptables-save", "-t", "nat"), StringComparison.Ordinal);

        await x.DelAsync(net, request);
        AssertNothingLeft(ns, dataDir, "exectest3", podIp);
    }

    /// <summary>
    /// After DEL: no pod interface, veth, ifb, per-container chain or rule for the pod's address, no reservation. The
    /// reference portmap keeps its shared CNI-HOSTPORT-* chains (empty) by design; <see cref="RemoveSharedPortmapChains"/>
    /// removes them and asserts that then no CNI- chain at all is left.
    /// </summary>
    internal static void AssertNothingLeft(TestNamespace ns, string dataDir, string network, string podIp)
    {
        Assert.DoesNotContain("eth0", ns.ExecCheck("ip", "-o", "link"), StringComparison.Ordinal);
        Assert.Empty(Shell.Json("ip", "-j", "link", "show", "type", "veth").EnumerateArray());
        Assert.DoesNotContain(LinkNames(), n => n.StartsWith("bwp", StringComparison.Ordinal));
        string rules = Shell.Check("iptables-save");
        Assert.DoesNotContain(podIp + "/", rules, StringComparison.Ordinal);
        Assert.DoesNotContain(podIp + ":", rules, StringComparison.Ordinal);
        Assert.DoesNotContain(rules.Split('\n'), l => l.StartsWith(":CNI-", StringComparison.Ordinal) && !l.StartsWith(":CNI-HOSTPORT-", StringComparison.Ordinal));
        Assert.DoesNotContain(rules.Split('\n'), l => l.StartsWith("-A CNI-HOSTPORT-DNAT", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(dataDir, network, podIp)));
        RemoveSharedPortmapChains();
        Assert.DoesNotContain("CNI-", Shell.Check("iptables-save"), StringComparison.Ordinal);
    }

    /// <summary>Deletes portmap's shared chains and the jumps to them (the reference plugin never removes them).</summary>
    internal static void RemoveSharedPortmapChains()
    {
        foreach (string chain in (string[])["PREROUTING", "OUTPUT", "POSTROUTING"])
        {
            foreach (string rule in Shell.Run("iptables", ["-t", "nat", "-S", chain]).StdOut.Split('\n'))
            {
                if (rule.StartsWith("-A ", StringComparison.Ordinal) && rule.Contains("CNI-HOSTPORT-", StringComparison.Ordinal))
                {
                    Shell.Run("sh", ["-c", "iptables -t nat " + "-D " + rule[3..]]);
                }
            }
        }
        foreach (string chain in (string[])["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"])
        {
            Shell.Run("iptables", ["-t", "nat", "-F", chain]);
            Shell.Run("iptables", ["-t", "nat", "-X", chain]);
        }
    }

    internal static string[] LinkNames() =>
        Shell.Json("ip", "-j", "link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).ToArray();

    private static async Task SafeDel(CniChainExecutor x, NetworkConfigList net, CniRuntimeRequest request)
    {
        try
        {
            await x.DelAsync(net, request);
        }
        catch (CniException)
        {
            // Best-effort cleanup after a failed assertion; the assertion's message is what matters.
        }
    }
}
