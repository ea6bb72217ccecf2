using System.Net;
using Cni.Net.Ipam;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Ipam;

/// <summary>
/// The reference host-local and Cni.Net.Ipam share one store directory: each reads, continues and releases what
/// the other wrote. host-local never touches a namespace, so only temporary data directories are used.
/// </summary>
public sealed class HostLocalStoreInteropTests : IDisposable
{
    private const string Net = "interop";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("cni-net-ipam-it-").FullName;

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    private string StoreDir => Path.Combine(_dataDir, Net);

    private string Config(string rangesJson, string version = "1.0.0") =>
        $$"""{"cniVersion":"{{version}}","name":"{{Net}}","type":"bridge","ipam":{"type":"host-local","dataDir":"{{_dataDir}}","ranges":{{rangesJson}}""" + "}}";

    private static readonly string V4Small = """[[{"subnet":"10.77.0.0/29"}]]""";

    private static IPRangeSet V4SmallSet() => new([IPRange.Parse("10.77.0.0/29")]);

    private string OursAllocate(IPRangeSet set, string id, int index = 0, string ifName = "eth0")
    {
        using HostLocalStore store = HostLocalStore.Open(Net, _dataDir);
        return new HostLocalAllocator(store, set, index).Allocate(id, ifName).ToString();
    }

    private IReadOnlyList<IPAddress> OursRelease(string id, string ifName = "eth0")
    {
        using HostLocalStore store = HostLocalStore.Open(Net, _dataDir);
        return store.Release(id, ifName);
    }

    private string[] AddressFiles() =>
        [.. Directory.GetFiles(StoreDir).Select(Path.GetFileName).Where(n => n != "lock" && !n!.StartsWith("last_reserved_ip.", StringComparison.Ordinal)).Order(StringComparer.Ordinal)!];

    [Fact]
    public void ReferenceAllocates_OursReadsContinuesAndReleases()
    {
        Assert.Equal(["10.77.0.2/29"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-a", Config(V4Small)));
        Assert.Equal(["10.77.0.3/29"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-b", Config(V4Small)));

        using (HostLocalStore store = HostLocalStore.Open(Net, _dataDir))
        {
            var owners = store.ListReservations().OrderBy(r => r.ContainerId, StringComparer.Ordinal)
                .Select(r => $"{r.Address} {r.ContainerId} {r.IfName}").ToArray();
            Assert.Equal(["10.77.0.2 ref-a eth0", "10.77.0.3 ref-b eth0"], owners);
            Assert.Equal(IPAddress.Parse("10.77.0.3"), store.GetLastReserved(0));
        }

        Assert.Equal("10.77.0.4/29", OursAllocate(V4SmallSet(), "ours-c"));
        Assert.Equal([IPAddress.Parse("10.77.0.2")], OursRelease("ref-a"));
        Assert.Equal(["10.77.0.3", "10.77.0.4"], AddressFiles());
        // The reference, in turn, continues after our allocation and refuses a duplicate of ours.
        Assert.Equal(["10.77.0.5/29"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-d", Config(V4Small)));
        Shell.Output dup = ReferenceHostLocal.Run(ReferenceHostLocal.Binary, "ADD", "ours-c", Config(V4Small));
        Assert.Equal(1, dup.ExitCode);
        Assert.Contains("duplicate allocation is not allowed", dup.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void OurPublishedHostLocal_RewritesTheReferencesLastReservedIp_InPlace_WithoutTruncatingIt()
    {
        // The reference leaves last_reserved_ip.0 at 10.77.0.100 (0600); our exec'd host-local wraps round to
        // 10.77.0.99, a shorter address, and records it over the reference's without an O_TRUNC open (ext4 starts
        // writeback after a truncation to zero).
        string config = Config("""[[{"subnet":"10.77.0.0/24","rangeStart":"10.77.0.99","rangeEnd":"10.77.0.100"}]]""");
        Assert.Equal(["10.77.0.99/24"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-a", config));
        Assert.Equal(["10.77.0.100/24"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-b", config));
        ReferenceHostLocal.Del(ReferenceHostLocal.Binary, "ref-a", config);
        string last = Path.Combine(StoreDir, "last_reserved_ip.0");
        Assert.Equal("10.77.0.100", File.ReadAllText(last));
        string ours = Path.Combine(Cni.Net.IntegrationTests.Kubelet.KubeletTestNode.OurPluginDir()!, "host-local");
        string trace = Path.Combine(_dataDir, "host-local.trace");
        Shell.Output r = Shell.Run("strace", ["-f", "-qq", "-e", "trace=openat", "-o", trace, ours], config,
            ReferenceHostLocal.Environment("ADD", "ours-b"));
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("10.77.0.99/24", r.StdOut, StringComparison.Ordinal);
        Assert.Equal("10.77.0.99", File.ReadAllText(last));
        string opens = string.Join('\n', File.ReadAllLines(trace).Where(l => l.Contains("last_reserved_ip.0", StringComparison.Ordinal)));
        Assert.Contains("O_WRONLY", opens, StringComparison.Ordinal);
        Assert.DoesNotContain("O_TRUNC", opens, StringComparison.Ordinal);
        // And the reference reads it back: the range is full, and the owners are the two left.
        Shell.Output full = ReferenceHostLocal.Run(ReferenceHostLocal.Binary, "ADD", "ref-c", config);
        Assert.Equal(1, full.ExitCode);
        Assert.Equal(0, ReferenceHostLocal.Run(ReferenceHostLocal.Binary, "CHECK", "ours-b", config).ExitCode);
    }

    [Fact]
    public void OursAllocates_ReferenceChecksContinuesAndReleases()
    {
        Assert.Equal("10.77.0.2/29", OursAllocate(V4SmallSet(), "ours-a"));
        Assert.Equal("10.77.0.3/29", OursAllocate(V4SmallSet(), "ours-b"));

        Assert.Equal(0, ReferenceHostLocal.Run(ReferenceHostLocal.Binary, "CHECK", "ours-a", Config(V4Small)).ExitCode);
        Assert.Equal(1, ReferenceHostLocal.Run(ReferenceHostLocal.Binary, "CHECK", "nobody", Config(V4Small)).ExitCode);
        Assert.Equal(["10.77.0.4/29"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-c", Config(V4Small)));
        ReferenceHostLocal.Del(ReferenceHostLocal.Binary, "ours-a", Config(V4Small));
        Assert.Equal(["10.77.0.3", "10.77.0.4"], AddressFiles());
        Assert.Equal([IPAddress.Parse("10.77.0.4")], OursRelease("ref-c"));
        Assert.Equal(["10.77.0.3"], AddressFiles());
    }

    [Fact]
    public void RoundRobin_AlternatingImplementations_WrapsIdentically()
    {
        // /29 without the gateway: .2 to .6. Alternate allocators, release behind, and watch the wrap.
        var expected = new[] { "10.77.0.2/29", "10.77.0.3/29", "10.77.0.4/29", "10.77.0.5/29", "10.77.0.6/29", "10.77.0.2/29", "10.77.0.3/29" };
        for (int i = 0; i < expected.Length; i++)
        {
            string id = $"ctr-{i}";
            string got = i % 2 == 0
                ? ReferenceHostLocal.Add(ReferenceHostLocal.Binary, id, Config(V4Small)).Single()
                : OursAllocate(V4SmallSet(), id);
            Assert.Equal(expected[i], got);
            if (i % 2 == 0)
            {
                Assert.Single(OursRelease(id));
            }
            else
            {
                ReferenceHostLocal.Del(ReferenceHostLocal.Binary, id, Config(V4Small));
            }
        }
        Assert.Empty(AddressFiles());
    }

    [Fact]
    public void DualStack_ReferenceAllocates_OursReleasesBoth()
    {
        string ranges = """[[{"subnet":"10.78.0.0/24"}],[{"subnet":"fd00:78::/120"}]]""";
        Assert.Equal(["10.78.0.2/24", "fd00:78::2/120"], ReferenceHostLocal.Add(ReferenceHostLocal.Binary, "ref-a", Config(ranges)));
        Assert.Equal(["10.78.0.2", "fd00:78::2"], AddressFiles());

        using (HostLocalStore store = HostLocalStore.Open(Net, _dataDir))
        {
            Assert.Equal(IPAddress.Parse("fd00:78::2"), store.GetLastReserved(1));
            var v6 = new HostLocalAllocator(store, new IPRangeSet([IPRange.Parse("fd00:78::/120")]), 1);
            Assert.Equal("fd00:78::3/120", v6.Allocate("ours-b", "eth0").ToString());
        }
        Assert.Equal(["10.78.0.2", "fd00:78::2"], OursRelease("ref-a").Select(a => a.ToString()).Order(StringComparer.Ordinal));
        ReferenceHostLocal.Del(ReferenceHostLocal.Binary, "ours-b", Config(ranges));
        Assert.Empty(AddressFiles());
    }

    [Fact]
    public void Exhaustion_OursFillsRange_ReferenceFindsNothingLeft()
    {
        IPRangeSet set = V4SmallSet();
        for (int i = 0; i < 5; i++)
        {
            OursAllocate(set, $"ours-{i}");
        }
        using (HostLocalStore store = HostLocalStore.Open(Net, _dataDir))
        {
            Assert.True(new HostLocalAllocator(store, set, 0).IsExhausted());
        }
        Shell.Output r = ReferenceHostLocal.Run(ReferenceHostLocal.Binary, "ADD", "ref-x", Config(V4Small));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no IP addresses available in range set: 10.77.0.1-10.77.0.6", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Lock_ReferenceWaitsWhileOursHoldsTheStore()
    {
        HostLocalStore store = HostLocalStore.Open(Net, _dataDir);
        using System.Diagnostics.Process reference = ReferenceHostLocal.StartAdd("ref-locked", Config(V4Small));
        try
        {
            Assert.False(reference.WaitForExit(TimeSpan.FromMilliseconds(500)), "the reference ran while our lock was held");
            Assert.True(store.TryReserve(IPAddress.Parse("10.77.0.2"), "ours-first", "eth0", 0));
        }
        finally
        {
            store.Dispose();
        }
        Assert.True(reference.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, reference.ExitCode);
        Assert.Contains("10.77.0.3/29", reference.StandardOutput.ReadToEnd(), StringComparison.Ordinal);
    }
}
