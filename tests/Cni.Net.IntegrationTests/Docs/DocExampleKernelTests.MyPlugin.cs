using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Docs;

/// <summary>docs/writing-a-plugin.md's whole plugin (docs/examples/MyPlugin), run as a runtime runs it.</summary>
public sealed partial class DocExampleKernelTests
{
    private static Shell.Output RunPlugin(string dll, string command, string netns, string stdin) =>
        Shell.Run("dotnet", [dll], stdin, new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = "ctr-doc",
            ["CNI_NETNS"] = netns,
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/usr/lib/cni",
        });

    [Fact]
    public void PluginGuide_MyPlugin_DelegatesToIpamAndRefusesABadMtu()
    {
        string dll = ExampleDll("MyPlugin");
        using var ns = new TestNamespace("docplug");
        string data = ns.ScratchDirectory;
        string conf(int mtu) => $$$"""{"cniVersion":"1.0.0","name":"docplug","type":"myplugin","mtu":{{{mtu}}},"ipam":{"type":"host-local","dataDir":"{{{data}}}","ranges":[[{"subnet":"10.68.0.0/24"}]]}}""";

        // ADD: the reference host-local reserves the address, and the plugin answers with its result.
        Shell.Output add = RunPlugin(dll, "ADD", ns.Path, conf(1400));
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        JsonElement result = JsonDocument.Parse(add.StdOut).RootElement;
        Assert.Equal("1.0.0", result.GetProperty("cniVersion").GetString());
        Assert.Equal(("10.68.0.2/24", "10.68.0.1"), (result.GetProperty("ips")[0].GetProperty("address").GetString(), result.GetProperty("ips")[0].GetProperty("gateway").GetString()));
        string reservation = Path.Combine(data, "docplug", "10.68.0.2");
        Assert.StartsWith("ctr-doc", File.ReadAllText(reservation), StringComparison.Ordinal);

        // CHECK succeeds; DEL releases the address, and a second DEL is fine as well.
        JsonObject check = JsonNode.Parse(conf(1400))!.AsObject();
        check["prevResult"] = JsonNode.Parse(add.StdOut);
        Shell.Output checkRun = RunPlugin(dll, "CHECK", ns.Path, check.ToJsonString());
        Assert.True(checkRun.ExitCode == 0, checkRun.StdOut + checkRun.StdErr);
        foreach (int _ in new[] { 1, 2 })
        {
            Shell.Output del = RunPlugin(dll, "DEL", ns.Path, conf(1400));
            Assert.True(del.ExitCode == 0 && del.StdOut.Length == 0, del.StdOut + del.StdErr);
            Assert.False(File.Exists(reservation));
        }

        // Validate runs first: an MTU out of range is code 7, naming the key, and IPAM is never asked.
        Shell.Output bad = RunPlugin(dll, "ADD", ns.Path, conf(70000));
        Assert.NotEqual(0, bad.ExitCode);
        JsonElement error = JsonDocument.Parse(bad.StdOut).RootElement;
        Assert.Equal(7, error.GetProperty("code").GetInt32());
        Assert.Contains("mtu", error.GetProperty("msg").GetString() + (error.TryGetProperty("details", out JsonElement d) ? d.GetString() : ""), StringComparison.Ordinal);
        Assert.False(File.Exists(reservation));

        // Without CNI_COMMAND it prints its About text, as the reference plugins do.
        Shell.Output about = Shell.Run("dotnet", [dll]);
        Assert.Contains("my plugin v1", about.StdErr, StringComparison.Ordinal);
    }
}
