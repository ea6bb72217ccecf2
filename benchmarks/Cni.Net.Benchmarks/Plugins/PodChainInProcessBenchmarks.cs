using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Cni.Net.Execution;
using Cni.Net.Namespaces;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks.Plugins;

/// <summary>
/// The real pod chain bridge(host-local, ipMasq) → portmap → bandwidth run in-process through
/// <see cref="CniChainExecutor"/> on the kernel of a private namespace: what one pod ADD and DEL cost in time and,
/// with <see cref="MemoryDiagnoserAttribute"/>, in managed allocation (every thread: the handlers' namespace threads
/// included). The same pod namespace is used over and over; each ADD is undone by a DEL outside the measurement.
/// </summary>
[MemoryDiagnoser]
public class PodChainInProcessBenchmarks
{
    private const string Bridge = "cnbenchmem0";

    private readonly string _pod = $"cni-bench-chain-{Environment.ProcessId}";
    private string _root = "";
    private CniChainExecutor _executor = null!;
    private NetworkConfigList _network = null!;
    private CniRuntimeRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        PrivateNetworkNamespace.Require("links, addresses, nat rules and qdiscs of a pod chain");
        _root = Directory.CreateTempSubdirectory("cni-bench-chain-").FullName;
        try
        {
            var options = new CniExecutorOptions { CacheDirectory = Path.Combine(_root, "cache") };
            options.PluginDirectories.Clear();
            options.PluginDirectories.Add(Path.Combine(_root, "bin"));
            _executor = new CniChainExecutor(options);
            foreach (var (type, className) in SampleHandlers.Chain)
            {
                _executor.RegisterPlugin(type, SampleHandlers.Create(className));
            }
            _executor.RegisterPlugin("host-local", SampleHandlers.Create(SampleHandlers.HostLocal));
            string dataDir = Path.Combine(_root, "ipam");
            _network = NetworkConfigList.Parse(Encoding.UTF8.GetBytes($$$"""
                {"cniVersion":"1.0.0","name":"bench-mem","plugins":[
                  {"type":"bridge","bridge":"{{{Bridge}}}","isGateway":true,"ipMasq":true,
                   "ipam":{"type":"host-local","subnet":"10.97.0.0/16","dataDir":"{{{dataDir}}}"}},
                  {"type":"portmap","capabilities":{"portMappings":true}},
                  {"type":"bandwidth","capabilities":{"bandwidth":true}}]}
                """));
            NetworkNamespace.Delete(_pod); // left by a benchmark of this process whose setup failed
            NetworkNamespace.Create(_pod).Dispose();
            _request = new CniRuntimeRequest("bench-mem-pod", $"/run/netns/{_pod}")
            {
                CapabilityArgs = JsonNode.Parse("""
                    {"portMappings":[{"hostPort":30080,"containerPort":80,"protocol":"tcp"},{"hostPort":30080,"containerPort":53,"protocol":"udp"}],
                     "bandwidth":{"ingressRate":10000000,"ingressBurst":1000000,"egressRate":10000000,"egressBurst":1000000}}
                    """)!.AsObject(),
            };
            // The first pod compiles the paths a long-lived runtime has warm.
            Add();
            Del();
        }
        catch
        {
            // BenchmarkDotNet runs no cleanup after a failed setup: the namespace, the bridge and the directory go here.
            Cleanup();
            throw;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NetworkNamespace.Delete(_pod);
        using (var netlink = new Cni.Net.Netlink.Route.RouteNetlink())
        {
            if (netlink.TryGetLinkIndex(Bridge, out int index))
            {
                netlink.DeleteLink(index);
            }
        }
        Directory.Delete(_root, recursive: true);
    }

    [IterationCleanup(Target = nameof(Add))]
    public void UndoAdd() => Del();

    [IterationSetup(Target = nameof(Del))]
    public void PrepareDel() => Add();

    /// <summary>One pod ADD through the whole chain.</summary>
    [Benchmark]
    public void Add() => _executor.AddAsync(_network, _request).AsTask().GetAwaiter().GetResult();

    /// <summary>One pod DEL through the whole chain.</summary>
    [Benchmark]
    public void Del() => _executor.DelAsync(_network, _request).AsTask().GetAwaiter().GetResult();
}
