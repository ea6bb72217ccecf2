using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.HostDevice;

/// <summary>
/// Our published host-device on the real kernel, beside the reference binary. The "device" is a veth end in the
/// test's node namespace (no physical NIC may be touched here); its peer stays on the node with an address, so a
/// pod that got the device really talks to the node through it. PCI and auxiliary-bus devices cannot exist in a
/// throwaway namespace: their sysfs resolution is unit-tested on a fake tree (HostDeviceLookupTests).
/// </summary>
public sealed class HostDevicePluginTests : IDisposable
{
    private static int s_counter;
    // "a0" first: the kernelpath test needs the device to be the first virtual net device of the node in name order.
    private readonly string _device = $"a0hd{Environment.ProcessId % 1000}x{Interlocked.Increment(ref s_counter)}";
    private const string DeviceMac = "c2:00:00:83:00:09";

    public HostDevicePluginTests()
    {
        Require.NotInRootNamespace();
    }

    private string Peer => _device + "p";

    /// <summary>The device (mtu 1400, fixed MAC, a node address, up) and its peer (10.83.0.1/24, up) on the node.</summary>
    private void CreateDevice()
    {
        Shell.Run("ip", ["link", "del", _device]);
        Shell.Check("ip", "link", "add", _device, "mtu", "1400", "address", DeviceMac, "type", "veth", "peer", "name", Peer, "mtu", "1400");
        Shell.Check("ip", "addr", "add", "10.83.0.200/24", "dev", _device);
        Shell.Check("ip", "addr", "add", "10.83.0.1/24", "dev", Peer);
        Shell.Check("ip", "link", "set", _device, "up");
        Shell.Check("ip", "link", "set", Peer, "up");
    }

    public void Dispose()
    {
        Shell.Run("ip", ["link", "del", _device]);
        Shell.Run("ip", ["link", "del", Peer]);
    }

    private static PluginTestNode Node(string hostDevice = "ours", string ipam = "ours") => new(
        ("host-device", hostDevice == "ours" ? PluginTestNode.Ours("host-device") : PluginTestNode.Reference("host-device")),
        ("static", ipam == "ours" ? PluginTestNode.Ours("static") : PluginTestNode.Reference("static")));

    private string Conflist(string keys = "", bool ipam = true, string cniVersion = "1.0.0")
    {
        string select = keys.Length > 0 ? keys : $"\"device\":\"{_device}\"";
        string ipamSection = ipam
            ? ",\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.83.0.5/24\",\"gateway\":\"10.83.0.1\"}],\"routes\":[{\"dst\":\"10.98.0.0/16\"}]}"
            : "";
        return $$"""{"cniVersion":"{{cniVersion}}","name":"hdnet","plugins":[{"type":"host-device",{{select}}{{ipamSection}}}]}""";
    }

    private static string PluginConfig(string conflist)
    {
        JsonObject list = JsonNode.Parse(conflist)!.AsObject();
        JsonObject plugin = list["plugins"]![0]!.AsObject().DeepClone().AsObject();
        plugin["name"] = list["name"]!.GetValue<string>();
        plugin["cniVersion"] = list["cniVersion"]!.GetValue<string>();
        return plugin.ToJsonString();
    }

    private static bool LinkExists(string name, TestNamespace? pod = null) =>
        Shell.Run("ip", pod is null ? ["link", "show", "dev", name] : ["-n", pod.Name, "link", "show", "dev", name]).ExitCode == 0;

    [Fact]
    public async Task AddCheckDel_MovesTheDeviceInRenamedAndBackUnderItsName()
    {
        CreateDevice();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("hdpod");
        string conflist = Conflist();

        CniResult result = await node.AddAsync(conflist, pod, "ctr-hd-1", "net1");

        CniInterface intf = Assert.Single(result.Interfaces);
        Assert.Equal(("net1", DeviceMac, pod.Path), (intf.Name, intf.Mac, intf.Sandbox));
        Assert.Equal(0, Assert.Single(result.IPs).Interface);
        Assert.False(LinkExists(_device));
        JsonElement link = pod.IpJson("link", "show", "dev", "net1")[0];
        Assert.Equal(_device, link.GetProperty("ifalias").GetString());
        Assert.Equal(1400, link.GetProperty("mtu").GetInt32());
        Assert.Equal(DeviceMac, link.GetProperty("address").GetString());
        Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        // The node's address went with the move (the kernel drops addresses); only the IPAM one is there.
        string addresses = pod.ExecCheck("ip", "-o", "-4", "addr", "show", "dev", "net1");
        Assert.Contains("10.83.0.5/24", addresses, StringComparison.Ordinal);
        Assert.DoesNotContain("10.83.0.200", addresses, StringComparison.Ordinal);
        Assert.Contains("10.98.0.0/16 via 10.83.0.1 dev net1", pod.ExecCheck("ip", "route"), StringComparison.Ordinal);
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "10.83.0.1").ExitCode);

        await node.CheckAsync(conflist, pod, "ctr-hd-1", "net1");
        await node.DelAsync(conflist, pod.Path, "ctr-hd-1", "net1");

        Assert.False(LinkExists("net1", pod));
        JsonElement back = Shell.Json("ip", "-j", "-d", "link", "show", "dev", _device)[0];
        Assert.False(back.TryGetProperty("ifalias", out _));
        Assert.Equal((1400, DeviceMac), (back.GetProperty("mtu").GetInt32(), back.GetProperty("address").GetString()));
        Assert.DoesNotContain("UP", back.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        // A repeated DEL, and one without a namespace, succeed and touch nothing.
        await node.DelAsync(conflist, pod.Path, "ctr-hd-1", "net1");
        await node.DelAsync(conflist, null, "ctr-hd-1", "net1");
        Assert.True(LinkExists(_device));
    }

    [Fact]
    public async Task Check_FailsWhenTheDeviceLostItsAddress()
    {
        CreateDevice();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("hdchk");
        string conflist = Conflist();
        await node.AddAsync(conflist, pod, "ctr-hd-chk", "net1");
        pod.ExecCheck("ip", "addr", "flush", "dev", "net1");
        CniException e = await Assert.ThrowsAsync<CniException>(async () => await node.CheckAsync(conflist, pod, "ctr-hd-chk", "net1"));
        Assert.Contains("10.83.0.5", e.Message, StringComparison.Ordinal);
        await node.DelAsync(conflist, pod.Path, "ctr-hd-chk", "net1");
        Assert.True(LinkExists(_device));
    }

    [Fact]
    public async Task MultusStyleChain_HostDeviceWithStaticIpsCapability()
    {
        CreateDevice();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("hdmultus");
        // Multus hands the pod's addresses to a secondary network through the "ips" capability.
        string conflist = $$$"""{"cniVersion":"1.0.0","name":"hdnet","plugins":[{"type":"host-device","device":"{{{_device}}}","capabilities":{"ips":true},"ipam":{"type":"static"}}]}""";
        var capabilities = new JsonObject { ["ips"] = new JsonArray("10.83.0.7/24") };

        CniResult result = await node.AddAsync(conflist, pod, "ctr-hd-multus", "net1", capabilities);

        Assert.Equal("10.83.0.7/24", Assert.Single(result.IPs).Address.ToString());
        Assert.Contains("10.83.0.7/24", pod.ExecCheck("ip", "-o", "addr", "show", "dev", "net1"), StringComparison.Ordinal);
        Assert.Equal(0, pod.Exec("ping", "-c", "1", "-W", "2", "10.83.0.1").ExitCode);
        await node.CheckAsync(conflist, pod, "ctr-hd-multus", "net1", capabilities);
        await node.DelAsync(conflist, pod.Path, "ctr-hd-multus", "net1", capabilities);
        Assert.False(LinkExists("net1", pod));
        Assert.True(LinkExists(_device));
    }

    /// <summary>What ADD leaves in the pod and DEL leaves on the node, names and indexes as they are (they are the same for both).</summary>
    private string CaptureAdd(TestNamespace pod)
    {
        var s = new StringBuilder();
        JsonElement l = pod.IpJson("link", "show", "dev", "net1")[0];
        s.Append("pod link ").Append(l.GetProperty("ifname").GetString())
            .Append(" alias=").Append(l.TryGetProperty("ifalias", out JsonElement a) ? a.GetString() : "")
            .Append(" mtu=").Append(l.GetProperty("mtu").GetInt32())
            .Append(" mac=").Append(l.GetProperty("address").GetString())
            .Append(" flags=").AppendJoin(',', l.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal))
            .AppendLine();
        s.AppendLine(WithoutIndexes(pod.ExecCheck("ip", "-o", "addr", "show", "dev", "net1")));
        s.AppendLine(pod.ExecCheck("ip", "route", "show"));
        s.AppendLine(pod.ExecCheck("ip", "-6", "route", "show"));
        s.AppendLine("arp_notify=" + pod.ExecCheck("cat", "/proc/sys/net/ipv4/conf/net1/arp_notify").Trim());
        s.AppendLine("node has device: " + LinkExists(_device));
        return s.ToString();
    }

    private static string WithoutIndexes(string ipOutput) =>
        System.Text.RegularExpressions.Regex.Replace(ipOutput, @"(?m)^\d+: ", "");

    private string CaptureDel(TestNamespace pod, bool withAlias)
    {
        JsonElement l = Shell.Json("ip", "-j", "-d", "link", "show", "dev", _device)[0];
        var s = new StringBuilder();
        s.Append("node link mtu=").Append(l.GetProperty("mtu").GetInt32())
            .Append(" mac=").Append(l.GetProperty("address").GetString())
            .Append(" flags=").AppendJoin(',', l.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));
        if (withAlias)
        {
            s.Append(" alias=").Append(l.TryGetProperty("ifalias", out JsonElement a) ? a.GetString() : "");
        }
        s.AppendLine().AppendLine(WithoutIndexes(Shell.Check("ip", "-o", "addr", "show", "dev", _device)));
        s.AppendLine("pod has net1: " + LinkExists("net1", pod));
        return s.ToString();
    }

    [Fact]
    public async Task SameKernelState_AsTheReferenceHostDevice()
    {
        async Task<(string Add, string Del)> Run(string which)
        {
            CreateDevice();
            using PluginTestNode node = Node(which, which);
            using var pod = new TestNamespace("hdcmp");
            string conflist = Conflist();
            await node.AddAsync(conflist, pod, "ctr-hd-cmp", "net1");
            string add = CaptureAdd(pod);
            await node.DelAsync(conflist, pod.Path, "ctr-hd-cmp", "net1");
            // 1.1.1 leaves the alias on the node link after DEL; v1.9.1 and we clear it: compared apart.
            string del = CaptureDel(pod, withAlias: false);
            if (which == "ours")
            {
                Assert.DoesNotContain("alias", Shell.Check("ip", "-d", "link", "show", "dev", _device), StringComparison.Ordinal);
            }
            return (add, del);
        }
        (string refAdd, string refDel) = await Run("reference");
        Assert.Contains("alias=" + _device, refAdd, StringComparison.Ordinal);
        (string ourAdd, string ourDel) = await Run("ours");
        Assert.Equal(refAdd, ourAdd);
        Assert.Equal(refDel, ourDel);
    }

    [Theory]
    [InlineData("reference", "ours")]
    [InlineData("ours", "reference")]
    public async Task MixedAddAndDel_WithTheReference_RoundTrip(string adder, string deleter)
    {
        CreateDevice();
        using var pod = new TestNamespace("hdmix");
        string conflist = Conflist();
        // Both nodes live to the end: disposing one deletes the node's veths, and with the peer the device in the pod.
        using PluginTestNode add = Node(adder);
        using PluginTestNode del = Node(deleter);
        await add.AddAsync(conflist, pod, "ctr-hd-mix", "net1");
        Assert.Equal(_device, pod.IpJson("link", "show", "dev", "net1")[0].GetProperty("ifalias").GetString());
        await del.DelAsync(conflist, pod.Path, "ctr-hd-mix", "net1");
        Assert.False(LinkExists("net1", pod));
        Assert.True(LinkExists(_device));
    }

    [Theory]
    [InlineData("hwaddr")]
    [InlineData("kernelpath")]
    public void Add_FindsTheDeviceByMacOrSysfsPath_AsTheReference(string key)
    {
        foreach (string which in (string[])["reference", "ours"])
        {
            CreateDevice();
            using PluginTestNode node = Node(which);
            using var pod = new TestNamespace("hdsel");
            // The veth is a virtual device: its sysfs parent is /sys/devices/virtual, whose net/ lists the node's
            // virtual links; ours sorts first. The plugin runs with a sysfs of the node's namespace mounted in a
            // mount namespace of its own (the test's /sys shows the machine's links).
            string select = key == "hwaddr" ? $"\"hwaddr\":\"{DeviceMac.ToUpperInvariant()}\"" : "\"kernelpath\":\"/sys/devices/virtual\"";
            string config = PluginConfig(Conflist(select, ipam: false));
            string wrapper = Path.Combine(node.BinDirectory, "with-sysfs");
            File.WriteAllText(wrapper,
                $"#!/bin/sh\nexec unshare --mount --propagation private sh -c 'mount -t sysfs sysfs /sys && exec \"$0\"' {(which == "ours" ? PluginTestNode.Ours("host-device") : PluginTestNode.Reference("host-device"))}\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            Shell.Output add = node.Exec(wrapper, "ADD", config, "ctr-hd-sel", pod.Path, "net1");

            Assert.True(add.ExitCode == 0, $"{which}: {add.StdOut} {add.StdErr}");
            Assert.Equal(_device, pod.IpJson("link", "show", "dev", "net1")[0].GetProperty("ifalias").GetString());
            Shell.Output del = node.Exec(wrapper, "DEL", config, "ctr-hd-sel", pod.Path, "net1");
            Assert.True(del.ExitCode == 0, $"{which}: {del.StdOut} {del.StdErr}");
            Assert.True(LinkExists(_device));
        }
    }

    [Theory]
    [InlineData("\"mtu\":1500", "specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\"")]
    [InlineData("\"device\":\"nosuchdev0\"", "failed to find host device: link \"nosuchdev0\" not found")]
    [InlineData("\"hwaddr\":\"zz:00:00:00:00:01\"", "failed to parse MAC address")]
    [InlineData("\"hwaddr\":\"02:00:00:00:99:99\"", "no link has the MAC address")]
    [InlineData("\"kernelpath\":\"/tmp/x\"", "must be absolute and begin with /sys/devices/")]
    [InlineData("\"pciBusID\":\"0000:ff:1f.7\"", "error with host device")]
    [InlineData("\"device\":\"DEV\",\"runtimeConfig\":{\"deviceID\":\"0000:ff:1f.7\"}", "runtime config DeviceID 0000:ff:1f.7 not found or unsupported")]
    public void BadInput_IsCode7_AndMovesNothing(string keys, string messagePart)
    {
        CreateDevice();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("hdbad");
        string config = PluginConfig(Conflist(keys.Replace("DEV", _device, StringComparison.Ordinal), ipam: false));
        Shell.Output r = node.Exec(PluginTestNode.Ours("host-device"), "ADD", config, "ctr-hd-bad", pod.Path, "net1");
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(7u, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.True(LinkExists(_device));
        Assert.False(LinkExists("net1", pod));
    }

    [Fact]
    public void Add_IfNameTakenInThePod_IsCode4_AndTheDeviceStaysUpOnTheNode()
    {
        CreateDevice();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("hdtaken");
        Shell.Check("ip", "-n", pod.Name, "link", "add", "net1", "type", "veth", "peer", "name", "net1p");
        Shell.Output r = node.Exec(PluginTestNode.Ours("host-device"), "ADD", PluginConfig(Conflist(ipam: false)), "ctr-hd-taken", pod.Path, "net1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(4u, PluginTestNode.ParseError(r.StdOut).GetProperty("code").GetUInt32());
        Assert.Contains("UP", Shell.Json("ip", "-j", "link", "show", "dev", _device)[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public void Add_IpamFails_PutsTheDeviceBackOnTheNode()
    {
        CreateDevice();
        using PluginTestNode node = Node();
        using var pod = new TestNamespace("hdipam");
        // static refuses an address without a prefix: the device was already in the pod by then.
        string config = PluginConfig(Conflist($"\"device\":\"{_device}\"", ipam: false)).TrimEnd('}') + ",\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.83.0.5\"}]}}";
        Shell.Output r = node.Exec(PluginTestNode.Ours("host-device"), "ADD", config, "ctr-hd-ipam", pod.Path, "net1");
        Assert.Equal(1, r.ExitCode);
        Assert.False(LinkExists("net1", pod));
        JsonElement back = Shell.Json("ip", "-j", "-d", "link", "show", "dev", _device)[0];
        Assert.False(back.TryGetProperty("ifalias", out _));
    }

    [Fact]
    public void Version_AnswersEverySpecVersion()
    {
        using PluginTestNode node = Node();
        Shell.Output r = node.Exec(PluginTestNode.Ours("host-device"), "VERSION", "{\"cniVersion\":\"1.0.0\"}", "", null);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.StdOut);
        string[] versions = [.. doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()!)];
        Assert.Contains("0.3.1", versions);
        Assert.Contains("1.1.0", versions);
    }
}
