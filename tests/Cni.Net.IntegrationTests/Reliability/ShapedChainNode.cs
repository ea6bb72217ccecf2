using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// A node running the pod chain bridge (host-local, ipMasq) → portmap → bandwidth of OUR NativeAOT plugins
/// (artifacts/cni/bin) through the library's executor or the published cni-tool, with a conf dir, a result cache and
/// a host-local store of its own. Dispose removes the bridge, veths, rules and directories (<see cref="PluginTestNode"/>).
/// </summary>
internal sealed class ShapedChainNode : IDisposable
{
    public const string Network = "relnet";

    /// <param name="subnet">host-local's range.</param>
    /// <param name="cniVersion">The conflist's version.</param>
    /// <param name="binary">The binary each plugin name links to; default our published plugin of that name.</param>
    public ShapedChainNode(string subnet = "10.81.0.0/24", string cniVersion = "1.0.0", Func<string, string>? binary = null)
    {
        binary ??= PluginTestNode.Ours;
        Node = new PluginTestNode([.. new[] { "bridge", "host-local", "portmap", "bandwidth" }.Select(p => (p, binary(p)))]);
        Root = Path.GetDirectoryName(Node.DataDirectory)!;
        Conflist = $$$"""
            {"cniVersion":"{{{cniVersion}}}","name":"{{{Network}}}","plugins":[
              {"type":"bridge","bridge":"{{{Node.Bridge}}}","isGateway":true,"ipMasq":true,
               "ipam":{"type":"host-local","dataDir":"{{{Node.DataDirectory}}}","ranges":[[{"subnet":"{{{subnet}}}"}]]}},
              {"type":"portmap","capabilities":{"portMappings":true},"snat":true},
              {"type":"bandwidth","capabilities":{"bandwidth":true}}]}
            """;
        Directory.CreateDirectory(ConfDirectory);
        File.WriteAllText(Path.Combine(ConfDirectory, "10-relnet.conflist"), Conflist);
    }

    public PluginTestNode Node { get; }

    public string Root { get; }

    public string Conflist { get; }

    public string ConfDirectory => Path.Combine(Root, "net.d");

    public string CacheDirectory => Path.Combine(Root, "cache");

    /// <summary>The directories whose files are pod state: host-local's store and the result cache.</summary>
    public string[] StateDirectories => [Node.DataDirectory, CacheDirectory];

    /// <summary>A host port and shaping for one pod, as a runtime passes them (runtimeConfig capabilities).</summary>
    public static JsonObject CapabilityArgs(int hostPort) => JsonNode.Parse($$$"""
        {"portMappings":[{"hostPort":{{{hostPort}}},"containerPort":80,"protocol":"tcp"}],
         "bandwidth":{"ingressRate":8000000,"ingressBurst":800000,"egressRate":16000000,"egressBurst":1600000}}
        """)!.AsObject();

    /// <summary>Starts cni-tool (add/del) for a pod; the caller waits for it or kills it.</summary>
    public Process StartTool(string command, string netNs, int hostPort)
    {
        var psi = new ProcessStartInfo(ToolPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(command);
        psi.ArgumentList.Add(Network);
        psi.ArgumentList.Add(netNs);
        psi.Environment["NETCONFPATH"] = ConfDirectory;
        psi.Environment["CNI_PATH"] = Node.BinDirectory;
        psi.Environment["CNI_CACHE_DIR"] = CacheDirectory;
        psi.Environment["CAP_ARGS"] = CapabilityArgs(hostPort).ToJsonString();
        return Process.Start(psi)!;
    }

    /// <summary>Runs cni-tool to the end; returns exit code and output.</summary>
    public (int ExitCode, string Output) RunTool(string command, string netNs, int hostPort)
    {
        using Process p = StartTool(command, netNs, hostPort);
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"cni-tool {command} did not finish");
        }
        return (p.ExitCode, o.Result + e.Result);
    }

    public static string ToolPath() => PublishedTool("cni-tool");

    /// <summary>A tool eng/publish.sh put in artifacts/bin (cni-tool, cni-server, cni-shim).</summary>
    public static string PublishedTool(string name)
    {
        string bin = Path.GetDirectoryName(PluginTestNode.Ours("bridge"))!;
        string tool = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(bin))!, "bin", name);
        if (!File.Exists(tool))
        {
            throw new InvalidOperationException($"{tool} is missing: run eng/publish.sh (eng/test.sh does) first");
        }
        return tool;
    }

    /// <summary>An int from the environment (iterations, seeds), or the CI default.</summary>
    public static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;

    public void Dispose() => Node.Dispose();
}
