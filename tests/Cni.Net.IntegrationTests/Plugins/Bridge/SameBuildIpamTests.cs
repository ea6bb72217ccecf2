using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>
/// Our exec'd bridge (and ptp, macvlan, tap, host-device) runs host-local's handler in-process only when CNI_PATH's
/// host-local carries the plugin's own build stamp (eng/publish.sh stamps every plugin of a publish alike); any other
/// host-local is exec'd. The host-local used here is a shell script that fails if it is ever run, so which way the
/// delegation went shows in the answer.
/// </summary>
public class SameBuildIpamTests
{
    private const int StampLength = 24;
    private const string ScriptError = "host-local script was exec-ed";

    private static readonly byte[] Script =
        Encoding.ASCII.GetBytes($"#!/bin/sh\necho '{{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"{ScriptError}\"}}'\nexit 1\n");

    [Fact]
    public void PublishedPlugins_ShareOneBuildStamp()
    {
        byte[] bridge = Stamp(PluginTestNode.Ours("bridge"));
        Assert.Equal("CNINETB1"u8.ToArray(), bridge[16..]);
        Assert.Equal(bridge, Stamp(PluginTestNode.Ours("host-local")));
        Assert.Equal(bridge, Stamp(PluginTestNode.Ours("portmap")));
    }

    [Theory]
    [InlineData("bridge")]
    [InlineData("ptp")]
    public void ExecdPlugin_WithSameBuildHostLocal_AllocatesInProcess_AndReleasesOnDel(string plugin)
    {
        using PluginTestNode node = new((plugin, PluginTestNode.Ours(plugin)));
        WriteHostLocal(node, [.. Script, .. Stamp(PluginTestNode.Ours(plugin))]);
        using var pod = new TestNamespace("sbpod");
        string config = plugin == "bridge"
            ? node.PluginConfig()
            : $$$"""{"cniVersion":"1.0.0","name":"brtest","type":"ptp","ipam":{"type":"host-local","dataDir":"{{{node.DataDirectory}}}","ranges":[[{"subnet":"10.77.0.0/24"}]]}}""";

        Shell.Output add = node.Exec(PluginTestNode.Ours(plugin), "ADD", config, "ctr-same-build", pod.Path);
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        using JsonDocument result = JsonDocument.Parse(add.StdOut);
        string address = result.RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!;
        Assert.StartsWith("10.77.0.", address, StringComparison.Ordinal);
        string ip = address.Split('/')[0];
        Assert.Equal([ip], node.Reservations());
        Assert.Equal("ctr-same-build\r\neth0", File.ReadAllText(Path.Combine(node.DataDirectory, "brtest", ip)));
        Assert.Contains(pod.IpJson("addr", "show", "dev", "eth0")[0].GetProperty("addr_info").EnumerateArray(),
            a => a.GetProperty("local").GetString() == ip);

        Shell.Output del = node.Exec(PluginTestNode.Ours(plugin), "DEL", config, "ctr-same-build", pod.Path);
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
        Assert.Empty(node.Reservations());
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    [Fact]
    public void ExecdBridge_WithSameBuildHostLocal_LogsHostLocalsLinesFromItsOwnProcess()
    {
        using PluginTestNode node = new(("bridge", PluginTestNode.Ours("bridge")));
        WriteHostLocal(node, [.. Script, .. Stamp(PluginTestNode.Ours("bridge"))]);
        using var pod = new TestNamespace("sbpod");
        string log = Path.Combine(node.DataDirectory + "-log", "cni.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "ctr-same-log", ["CNI_NETNS"] = pod.Path, ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = node.BinDirectory, ["CNI_LOG_FILE"] = log,
        };

        Shell.Output add = Shell.Run(PluginTestNode.Ours("bridge"), [], node.PluginConfig(), env);
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        Assert.Equal("", add.StdErr);

        // host-local's line as its own process would write it, but from bridge's process.
        string[] lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Length);
        Match ipam = Regex.Match(lines[0], @" info host-local\[(\d+)\]: ADD container=ctr-same-log ifname=eth0 network=brtest ok ips=10\.77\.0\.\d+/24 in ");
        Match bridge = Regex.Match(lines[1], @" info bridge\[(\d+)\]: ADD container=ctr-same-log ifname=eth0 network=brtest ok ");
        Assert.True(ipam.Success && bridge.Success, string.Join('\n', lines));
        Assert.Equal(bridge.Groups[1].Value, ipam.Groups[1].Value);
        Assert.Equal(0, node.Exec(PluginTestNode.Ours("bridge"), "DEL", node.PluginConfig(), "ctr-same-log", pod.Path).ExitCode);
    }

    [Theory]
    [InlineData("another build's stamp")]
    [InlineData("no stamp")]
    public void ExecdBridge_WithHostLocalOfAnotherBuild_ExecsIt(string which)
    {
        using PluginTestNode node = new(("bridge", PluginTestNode.Ours("bridge")));
        byte[] stamp = Stamp(PluginTestNode.Ours("bridge"));
        stamp[0] ^= 0xFF;
        WriteHostLocal(node, which == "no stamp" ? Script : [.. Script, .. stamp]);
        using var pod = new TestNamespace("sbpod");

        Shell.Output add = node.Exec(PluginTestNode.Ours("bridge"), "ADD", node.PluginConfig(), "ctr-other-build", pod.Path);

        Assert.Equal(1, add.ExitCode);
        JsonElement error = PluginTestNode.ParseError(add.StdOut);
        Assert.Equal(11, error.GetProperty("code").GetInt32());
        Assert.Contains(ScriptError, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Empty(node.Reservations());
        Assert.Empty(PluginTestNode.NodeVeths());
    }

    private static byte[] Stamp(string binary)
    {
        using FileStream file = File.OpenRead(binary);
        file.Seek(-StampLength, SeekOrigin.End);
        byte[] stamp = new byte[StampLength];
        file.ReadExactly(stamp);
        return stamp;
    }

    private static void WriteHostLocal(PluginTestNode node, byte[] content)
    {
        string path = Path.Combine(node.BinDirectory, "host-local");
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
