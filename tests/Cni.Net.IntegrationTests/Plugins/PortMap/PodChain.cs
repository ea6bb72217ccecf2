using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Plugins.PortMap;

/// <summary>
/// A pod on a node the way a runtime builds it: the reference bridge + host-local ADD in a throwaway pod namespace,
/// then chained plugins exec'd with <c>name</c>, <c>cniVersion</c>, <c>runtimeConfig</c> and <c>prevResult</c>
/// injected as libcni does. The test process's private namespace is the node. Dispose runs the bridge DEL and
/// removes the bridge, the store and the pod namespace.
/// </summary>
internal sealed class PodChain : IDisposable
{
    public const string Network = "pbnet";
    public const string Bridge = "cnipb0";
    public const string Subnet = "10.77.0.0/24";
    public const string Gateway = "10.77.0.1";
    public const string ReferenceDirectory = "/usr/lib/cni";

    private readonly string _dataDir = Directory.CreateTempSubdirectory("cni-net-pb-").FullName;
    private readonly TestNamespace _pod = new("pb");

    public PodChain(string containerId = "ctr-pb-1")
    {
        Require.NotInRootNamespace();
        ContainerId = containerId;
        Shell.Output r = Exec(Path.Combine(ReferenceDirectory, "bridge"), "ADD", BridgeConfig());
        Assert.True(r.ExitCode == 0, $"reference bridge ADD failed: {r.StdOut}{r.StdErr}");
        BridgeResult = JsonNode.Parse(r.StdOut)!.AsObject();
    }

    public string ContainerId { get; }

    public TestNamespace Pod => _pod;

    /// <summary>The bridge plugin's result: the prevResult of the next plugin.</summary>
    public JsonObject BridgeResult { get; }

    /// <summary>The pod's address without prefix.</summary>
    public string PodAddress => BridgeResult["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0];

    /// <summary>The host end of the pod's veth (the result interface without a sandbox, other than the bridge).</summary>
    public string HostVeth => BridgeResult["interfaces"]!.AsArray()
        .Select(i => i!.AsObject())
        .First(i => i["sandbox"] is null && i["name"]!.GetValue<string>() != Bridge)["name"]!.GetValue<string>();

    public static string Ours(string plugin) => Path.Combine(RepositoryRoot(), "artifacts", "cni", "bin", plugin);

    public static string Reference(string plugin) => Path.Combine(ReferenceDirectory, plugin);

    private string BridgeConfig() =>
        "{\"cniVersion\":\"1.0.0\",\"name\":\"" + Network + "\",\"type\":\"bridge\",\"bridge\":\"" + Bridge +
        "\",\"isGateway\":true,\"ipMasq\":true,\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" + Subnet +
        "\",\"dataDir\":\"" + _dataDir + "\"}}";

    /// <summary>The config a runtime sends one chained plugin: its own keys plus the injected ones.</summary>
    public static string PluginConfig(string type, string keys, string? runtimeConfig, JsonNode? prevResult, string version = "1.0.0")
    {
        var o = JsonNode.Parse("{\"cniVersion\":\"" + version + "\",\"name\":\"" + Network + "\",\"type\":\"" + type + "\"" +
            (keys.Length > 0 ? "," + keys : "") + "}")!.AsObject();
        if (runtimeConfig is not null)
        {
            o["runtimeConfig"] = JsonNode.Parse(runtimeConfig);
        }
        if (prevResult is not null)
        {
            o["prevResult"] = prevResult.DeepClone();
        }
        return o.ToJsonString();
    }

    public Shell.Output Exec(string binary, string command, string config, string? containerId = null, string? netns = null,
        IDictionary<string, string>? extraEnv = null, IReadOnlyList<string>? wrapper = null)
    {
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId ?? ContainerId,
            ["CNI_NETNS"] = netns ?? _pod.Path,
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = ReferenceDirectory,
        };
        if (extraEnv is not null)
        {
            foreach (var (k, v) in extraEnv)
            {
                env[k] = v;
            }
        }
        // A wrapper (strace, say) runs the plugin as its last argument.
        return wrapper is null ? Shell.Run(binary, [], config, env) : Shell.Run(wrapper[0], [.. wrapper.Skip(1), binary], config, env);
    }

    /// <summary>Runs a chained plugin and requires success; returns its result (ADD) or null.</summary>
    public JsonObject? Run(string binary, string command, string type, string keys, string? runtimeConfig, JsonNode? prevResult,
        string? containerId = null)
    {
        Shell.Output r = Exec(binary, command, PluginConfig(type, keys, runtimeConfig, prevResult), containerId);
        Assert.True(r.ExitCode == 0, $"{binary} {command} failed ({r.ExitCode}): {r.StdOut}{r.StdErr}");
        return command == "ADD" ? JsonNode.Parse(r.StdOut)!.AsObject() : null;
    }

    /// <summary>The CNI error object a failed plugin printed, with its exit code checked.</summary>
    public static JsonElement Error(Shell.Output r)
    {
        Assert.True(r.ExitCode != 0, $"expected a failure, got: {r.StdOut}");
        return JsonDocument.Parse(r.StdOut).RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            Exec(Path.Combine(ReferenceDirectory, "bridge"), "DEL", PluginConfig("bridge", "\"bridge\":\"" + Bridge +
                "\",\"isGateway\":true,\"ipMasq\":true,\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" + Subnet +
                "\",\"dataDir\":\"" + _dataDir + "\"}", null, BridgeResult));
        }
        finally
        {
            _pod.Dispose();
            Shell.Run("ip", ["link", "del", Bridge]);
            Directory.Delete(_dataDir, recursive: true);
            Netfilter.NetfilterTestSupport.ResetTables();
        }
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Cni.Net.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }
}
