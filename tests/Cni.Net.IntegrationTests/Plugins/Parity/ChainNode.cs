using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Parity;

/// <summary>
/// A fresh node namespace of its own (so node-wide sysctls start from the kernel's defaults every time) where one
/// implementation — ours or the reference — runs the chain bridge (host-local) → portmap the way a runtime does:
/// <c>prevResult</c> handed on at ADD, DEL in reverse order with the final result. Plugins run inside the node
/// namespace (<c>ip netns exec</c>); pods are namespaces of their own. Dispose removes the pods, the node and the
/// temp dirs, so the test process's own namespace is never touched.
/// </summary>
internal sealed class ChainNode : IDisposable
{
    public const string Network = "parnet";
    public const string Bridge = "par0";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cni-net-parity-");
    private readonly List<TestNamespace> _pods = [];

    public ChainNode(bool ours)
    {
        Require.NotInRootNamespace();
        Node = new TestNamespace("pnode");
        BinDirectory = Path.Combine(_root.FullName, "bin");
        Directory.CreateDirectory(BinDirectory);
        foreach (string type in (ReadOnlySpan<string>)["bridge", "host-local", "portmap"])
        {
            File.CreateSymbolicLink(Path.Combine(BinDirectory, type), ours ? PluginTestNode.Ours(type) : PluginTestNode.Reference(type));
        }
        DataDirectory = Path.Combine(_root.FullName, "ipam");
        // A new namespace starts with bridge-nf-call-ip(6)tables = 1; start from 0 so that a plugin writing it shows.
        foreach (string key in (ReadOnlySpan<string>)["bridge-nf-call-iptables", "bridge-nf-call-ip6tables"])
        {
            Node.Exec("sh", "-c", $"test -e /proc/sys/net/bridge/{key} && echo 0 > /proc/sys/net/bridge/{key}");
        }
    }

    public TestNamespace Node { get; }

    public string BinDirectory { get; }

    public string DataDirectory { get; }

    public TestNamespace NewPod()
    {
        var pod = new TestNamespace("ppod");
        _pods.Add(pod);
        return pod;
    }

    /// <summary>The bridge plugin's config: its keys, host-local with the given ranges and extra keys (routes).</summary>
    public string BridgeConfig(string bridgeKeys, bool dualStack, string ipamKeys = "")
    {
        string ranges = "[{\"subnet\":\"10.66.0.0/24\"}]" + (dualStack ? ",[{\"subnet\":\"fd00:66::/64\"}]" : "");
        return $$$"""{"cniVersion":"1.0.0","name":"{{{Network}}}","type":"bridge","bridge":"{{{Bridge}}}"{{{bridgeKeys}}},"ipam":{"type":"host-local","dataDir":"{{{DataDirectory}}}","ranges":[{{{ranges}}}]{{{ipamKeys}}}}}""";
    }

    /// <summary>The portmap config a runtime sends: its keys, runtimeConfig and prevResult injected.</summary>
    public static string PortMapConfig(string portMapKeys, string mappings, JsonNode prevResult)
    {
        var o = JsonNode.Parse($$"""{"cniVersion":"1.0.0","name":"{{Network}}","type":"portmap"{{portMapKeys}}}""")!.AsObject();
        o["runtimeConfig"] = new JsonObject { ["portMappings"] = JsonNode.Parse(mappings) };
        o["prevResult"] = prevResult.DeepClone();
        return o.ToJsonString();
    }

    /// <summary>ADD of the chain for one pod; returns the bridge's and portmap's results.</summary>
    public (JsonObject Bridge, JsonObject PortMap) Add(TestNamespace pod, string containerId, string bridgeConfig, string portMapKeys, string mappings)
    {
        JsonObject bridge = Run("bridge", "ADD", bridgeConfig, pod, containerId)!;
        JsonObject portMap = Run("portmap", "ADD", PortMapConfig(portMapKeys, mappings, bridge), pod, containerId)!;
        return (bridge, portMap);
    }

    /// <summary>DEL of the chain for one pod, in reverse order, each plugin given the final result.</summary>
    public void Del(TestNamespace pod, string containerId, string bridgeConfig, string portMapKeys, string mappings, JsonObject result)
    {
        Run("portmap", "DEL", PortMapConfig(portMapKeys, mappings, result), pod, containerId);
        JsonObject bridge = JsonNode.Parse(bridgeConfig)!.AsObject();
        bridge["prevResult"] = result.DeepClone();
        Run("bridge", "DEL", bridge.ToJsonString(), pod, containerId);
    }

    private JsonObject? Run(string type, string command, string stdin, TestNamespace pod, string containerId)
    {
        Shell.Output r = Shell.Run("ip", ["netns", "exec", Node.Name, "env",
            $"CNI_COMMAND={command}", $"CNI_CONTAINERID={containerId}", $"CNI_NETNS={pod.Path}", "CNI_IFNAME=eth0",
            $"CNI_PATH={BinDirectory}", Path.Combine(BinDirectory, type)], stdin);
        Assert.True(r.ExitCode == 0, $"{type} {command} failed ({r.ExitCode}): {r.StdOut}{r.StdErr}");
        return command == "ADD" ? JsonNode.Parse(r.StdOut)!.AsObject() : null;
    }

    public void Dispose()
    {
        foreach (TestNamespace pod in _pods)
        {
            pod.Dispose();
        }
        // The node's bridge, veths and rules go with its namespace.
        Node.Dispose();
        _root.Delete(recursive: true);
    }
}
