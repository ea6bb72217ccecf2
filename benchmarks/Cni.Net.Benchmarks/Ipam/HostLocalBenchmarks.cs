using BenchmarkDotNet.Attributes;
using Cni.Net.Ipam;

namespace Cni.Net.Benchmarks.Ipam;

/// <summary>
/// One host-local ADD + DEL worth of store work: open (flock), allocate the next address round-robin, close;
/// open, release by container id + ifname, close. <see cref="Occupied"/> other attachments already hold addresses,
/// since ADD reads and DEL scans the whole directory as the reference plugin does.
/// </summary>
[MemoryDiagnoser]
public class HostLocalBenchmarks
{
    private const string Network = "bench";
    private string _dataDir = "";
    private IPRangeSet _set = null!;

    [Params(0, 100, 250)]
    public int Occupied { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dataDir = Directory.CreateTempSubdirectory("cni-net-ipam-bench-").FullName;
        _set = new IPRangeSet([IPRange.Parse("10.10.0.0/16")]);
        using HostLocalStore store = HostLocalStore.Open(Network, _dataDir);
        var allocator = new HostLocalAllocator(store, _set, 0);
        for (int i = 0; i < Occupied; i++)
        {
            allocator.Allocate($"pod-{i}", "eth0");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dataDir, recursive: true);

    [Benchmark]
    public int AllocateRelease()
    {
        using (HostLocalStore store = HostLocalStore.Open(Network, _dataDir))
        {
            new HostLocalAllocator(store, _set, 0).Allocate("bench-ctr", "eth0");
        }
        using (HostLocalStore store = HostLocalStore.Open(Network, _dataDir))
        {
            return store.Release("bench-ctr", "eth0").Count;
        }
    }
}
