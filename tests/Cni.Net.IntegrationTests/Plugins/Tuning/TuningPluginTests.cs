using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Tuning;

/// <summary>Our published tuning on the real kernel, beside the reference tuning of /usr/lib/cni.</summary>
public sealed class TuningPluginTests : IDisposable
{
    private readonly PluginTestNode _node = new(("tuning", PluginTestNode.Ours("tuning")));
    private readonly TestNamespace _pod = new("tunpod");
    private readonly string _dataDir;

    public TuningPluginTests()
    {
        _dataDir = Path.Combine(_node.DataDirectory, "tuning");
        // The pod interface a previous plugin would have made: a veth pair inside the pod.
        Shell.Check("ip", "-n", _pod.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Shell.Check("ip", "-n", _pod.Name, "link", "set", "eth0", "address", "0a:58:0a:00:00:05", "mtu", "1500", "txqueuelen", "1000");
    }

    public void Dispose()
    {
        _pod.Dispose();
        _node.Dispose();
    }

    private string Config(string keys, bool prev = true, string version = "1.0.0")
    {
        var c = JsonNode.Parse($"{{\"cniVersion\":\"{version}\",\"name\":\"tunnet\",\"type\":\"tuning\",\"dataDir\":\"{_dataDir}\"{keys}}}")!.AsObject();
        if (prev)
        {
            c["prevResult"] = JsonNode.Parse($$$"""{"cniVersion":"{{{version}}}","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:05","sandbox":"{{{_pod.Path}}}"}],"ips":[{"address":"10.79.0.2/24","interface":0}]}""");
        }
        return c.ToJsonString();
    }

    private const string AllKeys =
        ",\"sysctl\":{\"net.ipv4.conf.IFNAME.arp_filter\":\"1\",\"net.ipv4.conf.all.arp_ignore\":\"2\"},\"mac\":\"c2:11:22:33:44:55\",\"mtu\":1400,\"promisc\":true,\"allmulti\":true,\"txQLen\":333";

    private Shell.Output Run(string binary, string command, string stdin, string args = "") =>
        args.Length == 0
            ? _node.Exec(binary, command, stdin, "ctr-tun-1", _pod.Path)
            : Shell.Run("env", ["CNI_ARGS=" + args, "CNI_COMMAND=" + command, "CNI_CONTAINERID=ctr-tun-1", "CNI_NETNS=" + _pod.Path, "CNI_IFNAME=eth0",
                "CNI_PATH=" + _node.BinDirectory, binary], stdin);

    private string LinkState()
    {
        JsonElement l = _pod.IpJson("link", "show", "eth0")[0];
        string flags = string.Join(',', l.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Order(StringComparer.Ordinal));
        return $"mac={l.GetProperty("address").GetString()} mtu={l.GetProperty("mtu").GetInt32()} promiscuity={l.GetProperty("promiscuity").GetInt32()}" +
            $" allmulti={l.GetProperty("allmulti").GetInt32()} txqlen={l.GetProperty("txqlen").GetInt32()} flags={flags}" +
            $" arp_filter={_pod.ExecCheck("cat", "/proc/sys/net/ipv4/conf/eth0/arp_filter").Trim()} arp_ignore={_pod.ExecCheck("cat", "/proc/sys/net/ipv4/conf/all/arp_ignore").Trim()}";
    }

    private static void Ok(Shell.Output r) => Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);

    [Fact]
    public void AddCheckDel_AppliesEverySetting_AndDelRestoresThem()
    {
        string before = LinkState();
        Shell.Output add = Run(PluginTestNode.Ours("tuning"), "ADD", Config(AllKeys));
        Ok(add);
        using (JsonDocument result = JsonDocument.Parse(add.StdOut))
        {
            Assert.Equal("c2:11:22:33:44:55", result.RootElement.GetProperty("interfaces")[0].GetProperty("mac").GetString());
            Assert.Equal("10.79.0.2/24", result.RootElement.GetProperty("ips")[0].GetProperty("address").GetString());
        }
        string after = LinkState();
        Assert.Contains("mac=c2:11:22:33:44:55 mtu=1400 promiscuity=1 allmulti=1 txqlen=333", after, StringComparison.Ordinal);
        Assert.Contains("arp_filter=1 arp_ignore=2", after, StringComparison.Ordinal);
        Assert.Contains("PROMISC", after, StringComparison.Ordinal);
        string backup = Path.Combine(_dataDir, "ctr-tun-1_eth0.json");
        Assert.Equal("{\n \"mac\": \"0a:58:0a:00:00:05\",\n \"promisc\": false,\n \"mtu\": 1500,\n \"allmulti\": false,\n \"txQLen\": 1000\n}", File.ReadAllText(backup));

        Ok(Run(PluginTestNode.Ours("tuning"), "CHECK", Config(AllKeys)));
        Shell.Check("ip", "-n", _pod.Name, "link", "set", "eth0", "mtu", "1300");
        Shell.Output check = Run(PluginTestNode.Ours("tuning"), "CHECK", Config(AllKeys));
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("configured MTU of eth0 is 1400, current value is 1300", check.StdOut, StringComparison.Ordinal);

        Ok(Run(PluginTestNode.Ours("tuning"), "DEL", Config(AllKeys)));
        // Link settings back as they were (sysctls stay, as the reference leaves them), the backup file gone.
        string restored = LinkState();
        Assert.Equal(before.Split(" arp_")[0], restored.Split(" arp_")[0]);
        Assert.False(File.Exists(backup));
        Ok(Run(PluginTestNode.Ours("tuning"), "DEL", Config(AllKeys)));
    }

    [Theory]
    [InlineData("reference", "ours")]
    [InlineData("ours", "reference")]
    public void MixedPlugins_OneAdds_TheOtherRestoresOnDel(string adder, string deleter)
    {
        string Binary(string which) => which == "ours" ? PluginTestNode.Ours("tuning") : PluginTestNode.Reference("tuning");
        // Reference 1.1.1 has no allmulti/txQLen yet: only the keys both know.
        const string Keys = ",\"mac\":\"c2:11:22:33:44:66\",\"mtu\":1450,\"promisc\":true";
        string before = LinkState();
        Ok(Run(Binary(adder), "ADD", Config(Keys)));
        Assert.Contains("mac=c2:11:22:33:44:66 mtu=1450 promiscuity=1", LinkState(), StringComparison.Ordinal);
        Ok(Run(Binary(deleter), "CHECK", Config(Keys)));
        Ok(Run(Binary(deleter), "DEL", Config(Keys)));
        Assert.Equal(before, LinkState());
        Assert.False(File.Exists(Path.Combine(_dataDir, "ctr-tun-1_eth0.json")));
    }

    [Fact]
    public void SameKernelState_AsTheReferenceTuning()
    {
        const string Keys = ",\"sysctl\":{\"net.ipv4.conf.IFNAME.arp_filter\":\"1\",\"net.ipv4.conf.all.arp_ignore\":\"2\"},\"mac\":\"c2:11:22:33:44:77\",\"mtu\":1420,\"promisc\":true";
        string before = LinkState();
        Ok(Run(PluginTestNode.Reference("tuning"), "ADD", Config(Keys)));
        string reference = LinkState();
        string referenceBackup = File.ReadAllText(Path.Combine(_dataDir, "ctr-tun-1_eth0.json"));
        Ok(Run(PluginTestNode.Reference("tuning"), "DEL", Config(Keys)));
        _pod.ExecCheck("sysctl", "-qw", "net.ipv4.conf.eth0.arp_filter=0", "net.ipv4.conf.all.arp_ignore=0");
        Assert.Equal(before, LinkState());

        Ok(Run(PluginTestNode.Ours("tuning"), "ADD", Config(Keys)));
        Assert.Equal(reference, LinkState());
        Assert.Equal(referenceBackup, File.ReadAllText(Path.Combine(_dataDir, "ctr-tun-1_eth0.json")));
        Ok(Run(PluginTestNode.Ours("tuning"), "DEL", Config(Keys)));
    }

    [Fact]
    public void MacFromCniArgs_AndArgsCniOverrides_WinAsInTheReference()
    {
        string keys = ",\"mac\":\"c2:00:00:00:00:01\",\"mtu\":1400,\"args\":{\"cni\":{\"mtu\":1380,\"sysctl\":{\"net.ipv4.conf.IFNAME.arp_filter\":\"1\"}}}";
        Ok(Run(PluginTestNode.Ours("tuning"), "ADD", Config(keys), "IgnoreUnknown=1;MAC=c2:00:00:00:00:02"));
        Assert.Contains("mac=c2:00:00:00:00:02 mtu=1380", LinkState(), StringComparison.Ordinal);
        Assert.Contains("arp_filter=1", LinkState(), StringComparison.Ordinal);
        Ok(Run(PluginTestNode.Ours("tuning"), "DEL", Config(keys), "IgnoreUnknown=1;MAC=c2:00:00:00:00:02"));
        Assert.Contains("mac=0a:58:0a:00:00:05 mtu=1500", LinkState(), StringComparison.Ordinal);
    }

    [Fact]
    public void Version_ReportsEverySpecVersion()
    {
        Shell.Output r = Run(PluginTestNode.Ours("tuning"), "VERSION", "{\"cniVersion\":\"1.1.0\"}");
        Ok(r);
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        Assert.Contains("0.1.0", doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
    }

    [Theory]
    [InlineData(",\"mtu\":1400", false, 7, "prevResult")]
    [InlineData(",\"mac\":\"not-a-mac\"", true, 7, "not-a-mac")]
    [InlineData(",\"sysctl\":{\"kernel.hostname\":\"x\"}", true, 7, "invalid net sysctl key")]
    [InlineData(",\"mtu\":\"big\"", true, 7, "mtu")]
    public void BadInput_IsRefusedWithItsCode_AndChangesNothing(string keys, bool prev, uint code, string messagePart)
    {
        string before = LinkState();
        Shell.Output r = Run(PluginTestNode.Ours("tuning"), "ADD", Config(keys, prev));
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(code, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, LinkState());
        Assert.False(Directory.Exists(_dataDir) && Directory.EnumerateFiles(_dataDir).Any());
    }
}
