using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Cni.Net.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Benchmarks.Execution;

/// <summary>
/// What the executor pays to record a chain ADD and to forget it at DEL: one libcni cache entry (a pod chain's config, its capability
/// arguments and result) written atomically into a results directory that already holds <see cref="Entries"/> other
/// pods' entries, on the machine's disk file system (ext4 on the CI machine, where a node keeps /var/lib/cni) and on
/// tmpfs.
/// </summary>
[MemoryDiagnoser]
public class ResultCacheWriteBenchmarks
{
    private static readonly byte[] s_config = Encoding.UTF8.GetBytes("""
        {"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,
        "ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
        {"type":"portmap","capabilities":{"portMappings":true}},{"type":"bandwidth","capabilities":{"bandwidth":true}}]}
        """);

    private static readonly JsonObject s_capabilities = JsonNode.Parse("""
        {"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],
         "bandwidth":{"ingressRate":10000000,"ingressBurst":1000000,"egressRate":10000000,"egressBurst":1000000}}
        """)!.AsObject();

    private static readonly byte[] s_result = Encoding.UTF8.GetBytes("""
        {"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"0a:58:0a:58:00:01"},{"name":"veth1234abcd","mac":"6e:2b:11:22:33:44"},
        {"name":"eth0","mac":"0a:58:0a:58:00:07","sandbox":"/run/netns/pod"}],"ips":[{"interface":2,"address":"10.88.0.7/16","gateway":"10.88.0.1"}],
        "routes":[{"dst":"0.0.0.0/0","gw":"10.88.0.1"}],"dns":{}}
        """);

    private CniResultCache _cache = null!;
    private string _root = "";

    /// <summary>Where the cache lives: the disk file system or tmpfs.</summary>
    [Params("disk", "tmpfs")]
    public string FileSystem { get; set; } = "disk";

    /// <summary>Other pods' entries in the results directory.</summary>
    [Params(0, 250)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string parent = FileSystem == "tmpfs" ? "/dev/shm" : "/var/tmp";
        _root = Path.Combine(parent, $"cni-cache-bench-{Guid.NewGuid():N}");
        _cache = new CniResultCache(_root, NullLogger.Instance);
        for (int i = 0; i < Entries; i++)
        {
            _cache.Write("pods", $"other-{i}", "eth0", "/run/netns/other", s_config, [], s_capabilities, WriteResult);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    private long _pod;

    /// <summary>A pod's entry as its ADD writes it (a new file) and its DEL removes it.</summary>
    [Benchmark]
    public bool WriteNewAndDelete()
    {
        string id = $"bench-pod-{_pod++}";
        _cache.Write("pods", id, "eth0", "/run/netns/pod", s_config, [], s_capabilities, WriteResult);
        return _cache.Delete("pods", id, "eth0");
    }

    private static void WriteResult(Utf8JsonWriter writer)
    {
        using JsonDocument document = JsonDocument.Parse(s_result);
        document.WriteTo(writer);
    }
}
