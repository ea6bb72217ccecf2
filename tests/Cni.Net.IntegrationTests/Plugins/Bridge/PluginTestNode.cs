using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Netfilter;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Bridge;

/// <summary>
/// A CNI "node" for plugin tests: the test process's private namespace, a plugin directory that mixes our published
/// NativeAOT plugins (artifacts/cni/bin, from eng/publish.sh) with the reference ones in /usr/lib/cni, temp dirs for
/// host-local's dataDir and the result cache, and a bridge name of its own. Dispose removes the bridge, any veth
/// left on the node, the iptables rules and the temp dirs.
/// </summary>
internal sealed class PluginTestNode : IDisposable
{
    public const string ReferenceDirectory = "/usr/lib/cni";
    private static int s_counter;
    private readonly DirectoryInfo _root;

    public PluginTestNode(params (string Type, string Binary)[] plugins)
    {
        Require.NotInRootNamespace();
        _root = Directory.CreateTempSubdirectory("cni-bridge-test-");
        BinDirectory = Path.Combine(_root.FullName, "bin");
        Directory.CreateDirectory(BinDirectory);
        foreach (var (type, binary) in plugins)
        {
            File.CreateSymbolicLink(Path.Combine(BinDirectory, type), binary);
        }
        DataDirectory = Path.Combine(_root.FullName, "ipam");
        var options = new CniExecutorOptions { CacheDirectory = Path.Combine(_root.FullName, "cache") };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(BinDirectory);
        Executor = new CniChainExecutor(options);
        Bridge = $"cntbr{Environment.ProcessId % 1000}x{Interlocked.Increment(ref s_counter)}";
    }

    public string BinDirectory { get; }

    public string DataDirectory { get; }

    public string Bridge { get; }

    public CniChainExecutor Executor { get; }

    /// <summary>Our published plugin; fails (never skips) when eng/publish.sh has not been run.</summary>
    public static string Ours(string name)
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Cni.Net.sln")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        }
        string path = Path.Combine(dir, "artifacts", "cni", "bin", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: run eng/publish.sh (eng/test.sh does) before the integration tests");
        }
        return path;
    }

    public static string Reference(string name) => Path.Combine(ReferenceDirectory, name);

    /// <summary>bridge + host-local (+ portmap) as one conflist; the bridge and dataDir are this node's.</summary>
    public string Conflist(string network = "brtest", bool ipMasq = true, bool portmap = false, string subnet = "10.77.0.0/24",
        string extraBridgeKeys = "", string cniVersion = "1.0.0", bool gateway = true, bool hairpin = true, string? subnet6 = null)
    {
        string flag(bool b) => b ? "true" : "false";
        string bridge =
            $"{{\"type\":\"bridge\",\"bridge\":\"{Bridge}\",\"isGateway\":{flag(gateway)},\"isDefaultGateway\":{flag(gateway)},\"ipMasq\":{(ipMasq ? "true" : "false")},\"hairpinMode\":{flag(hairpin)}{extraBridgeKeys}," +
            $"\"ipam\":{{\"type\":\"host-local\",\"dataDir\":\"{DataDirectory}\",\"ranges\":[[{{\"subnet\":\"{subnet}\"}}]{(subnet6 is null ? "" : $",[{{\"subnet\":\"{subnet6}\"}}]")}]}}}}";
        string plugins = portmap ? bridge + """,{"type":"portmap","capabilities":{"portMappings":true},"snat":true}""" : bridge;
        return $$"""{"cniVersion":"{{cniVersion}}","name":"{{network}}","plugins":[{{plugins}}]}""";
    }

    /// <summary>The bridge plugin's single config (as stdin for a direct run): the first plugin of <see cref="Conflist"/> with name and version.</summary>
    public string PluginConfig(string network = "brtest", bool ipMasq = true, string cniVersion = "1.0.0", string extraBridgeKeys = "")
    {
        JsonNode list = JsonNode.Parse(Conflist(network, ipMasq, false, cniVersion: cniVersion, extraBridgeKeys: extraBridgeKeys))!;
        JsonObject plugin = list["plugins"]![0]!.AsObject().DeepClone().AsObject();
        plugin["name"] = network;
        plugin["cniVersion"] = cniVersion;
        return plugin.ToJsonString();
    }

    public ValueTask<CniResult> AddAsync(string conflist, TestNamespace pod, string containerId, string ifName = "eth0", JsonObject? capabilityArgs = null) =>
        Executor.AddAsync(NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(conflist)),
            new CniRuntimeRequest(containerId, pod.Path, ifName) { CapabilityArgs = capabilityArgs });

    public ValueTask CheckAsync(string conflist, TestNamespace pod, string containerId, string ifName = "eth0", JsonObject? capabilityArgs = null) =>
        Executor.CheckAsync(NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(conflist)),
            new CniRuntimeRequest(containerId, pod.Path, ifName) { CapabilityArgs = capabilityArgs });

    public ValueTask DelAsync(string conflist, string? netNs, string containerId, string ifName = "eth0", JsonObject? capabilityArgs = null) =>
        Executor.DelAsync(NetworkConfigList.Parse(System.Text.Encoding.UTF8.GetBytes(conflist)),
            new CniRuntimeRequest(containerId, netNs, ifName) { CapabilityArgs = capabilityArgs });

    /// <summary>Runs one plugin binary directly, as a runtime would exec it.</summary>
    public Shell.Output Exec(string binary, string command, string stdin, string containerId, string? netNs, string ifName = "eth0",
        params string[] unset)
    {
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = netNs ?? "",
            ["CNI_IFNAME"] = ifName,
            ["CNI_PATH"] = BinDirectory,
        };
        foreach (string name in unset)
        {
            env.Remove(name);
        }
        // Shell.Run only adds variables: start from a clean CNI_* set so the test's own environment cannot leak in.
        return Shell.Run("env", ["-u", "CNI_COMMAND", "-u", "CNI_CONTAINERID", "-u", "CNI_NETNS", "-u", "CNI_IFNAME", "-u", "CNI_PATH",
            .. env.Select(kv => $"{kv.Key}={kv.Value}"), binary], stdin);
    }

    /// <summary>Names of the node's veth links (the node is the test's private namespace: all of them are the tests').</summary>
    public static List<string> NodeVeths() =>
        [.. Shell.Json("ip", "-j", "link", "show", "type", "veth").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!)];

    /// <summary>Waits for the node's veths to go (a deleted namespace takes its veths with it asynchronously).</summary>
    public static List<string> NodeVethsAfterSettling()
    {
        List<string> veths = NodeVeths();
        for (int i = 0; i < 50 && veths.Count > 0; i++)
        {
            Thread.Sleep(100);
            veths = NodeVeths();
        }
        return veths;
    }

    /// <summary>IPs host-local holds for the network (one file per address in dataDir/network).</summary>
    public List<string> Reservations(string network = "brtest")
    {
        string dir = Path.Combine(DataDirectory, network);
        return Directory.Exists(dir)
            ? [.. Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Where(n => n != "lock" && !n.StartsWith("last_reserved_ip", StringComparison.Ordinal))]
            : [];
    }

    public static string Nat() => NetfilterTestSupport.Save("nat");

    public void Dispose()
    {
        foreach (string veth in NodeVeths())
        {
            Shell.Run("ip", ["link", "del", veth]);
        }
        Shell.Run("ip", ["link", "del", Bridge]);
        NetfilterTestSupport.ResetTables();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static JsonElement ParseError(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }
}
