using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Tests.Execution;

public sealed class CniResultCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cni-cache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private CniResultCache Cache => new(_root, NullLogger.Instance);

    private static readonly byte[] s_config = Encoding.UTF8.GetBytes("{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"plugins\":[{\"type\":\"x\"}]}\n");

    private static void WriteResult(Utf8JsonWriter w) => JsonNode.Parse("""{"cniVersion":"1.0.0","ips":[{"address":"10.1.2.3/24"}]}""")!.WriteTo(w);

    [Fact]
    public void Write_ProducesLibcniLayoutAtLibcniPath()
    {
        Cache.Write("n1", "ctr1", "eth0", "/run/netns/x", s_config, [new("K8S_POD_NAME", "p"), new("IgnoreUnknown", "1")],
            new JsonObject { ["portMappings"] = new JsonArray() }, WriteResult);

        string path = Path.Combine(_root, "results", "n1-ctr1-eth0");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement r = doc.RootElement;
        Assert.Equal(["kind", "containerId", "config", "ifName", "networkName", "netns", "cniArgs", "capabilityArgs", "result"],
            r.EnumerateObject().Select(p => p.Name));
        Assert.Equal("cniCacheV1", r.GetProperty("kind").GetString());
        Assert.Equal("ctr1", r.GetProperty("containerId").GetString());
        Assert.Equal(s_config, r.GetProperty("config").GetBytesFromBase64());
        Assert.Equal("eth0", r.GetProperty("ifName").GetString());
        Assert.Equal("n1", r.GetProperty("networkName").GetString());
        Assert.Equal("/run/netns/x", r.GetProperty("netns").GetString());
        Assert.Equal("""[["K8S_POD_NAME","p"],["IgnoreUnknown","1"]]""", r.GetProperty("cniArgs").GetRawText());
        Assert.Equal("""{"portMappings":[]}""", r.GetProperty("capabilityArgs").GetRawText());
        Assert.Equal("10.1.2.3/24", r.GetProperty("result").GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.Combine(_root, "results")));
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "results")));
    }

    [Fact]
    public void Write_OmitsEmptyOptionalFieldsLikeGoOmitempty()
    {
        Cache.Write("n1", "ctr1", "eth0", null, s_config, [], null, WriteResult);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_root, "results", "n1-ctr1-eth0")));
        Assert.Equal(["kind", "containerId", "config", "ifName", "networkName", "result"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Read_RoundTripsWhatWasWritten()
    {
        Cache.Write("n1", "ctr1", "eth0", "/run/netns/x", s_config, [new("A", "1")], null, WriteResult);
        CniCachedAttachment e = Cache.Read("n1", "ctr1", "eth0")!;
        Assert.Equal(("n1", "ctr1", "eth0", "/run/netns/x"), (e.NetworkName, e.ContainerId, e.IfName, e.NetNs));
        Assert.Equal(s_config, e.Config.ToArray());
        Assert.Equal([new KeyValuePair<string, string>("A", "1")], e.CniArgs);
        Assert.Equal("10.1.2.3/24", (string?)e.ResultJson!["ips"]![0]!["address"]);
    }

    [Fact]
    public async Task Write_ConcurrentReadersNeverSeeAPartialFile()
    {
        string path = Cache.PathFor("n1", "ctr1", "eth0");
        string big = new('x', 200_000);
        using var stop = new CancellationTokenSource();
        using var readerStarted = new ManualResetEventSlim();
        int reads = 0;
        Task reader = Task.Factory.StartNew(() =>
        {
            readerStarted.Set();
            while (!stop.IsCancellationRequested)
            {
                if (File.Exists(path))
                {
                    Assert.NotNull(CniResultCache.Parse(File.ReadAllBytes(path), path, out string? problem));
                    Assert.Null(problem);
                    Interlocked.Increment(ref reads);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // On a loaded machine the reader may start late: write until it has read while writes were going on.
        Assert.True(readerStarted.Wait(TimeSpan.FromSeconds(30)));
        for (int i = 0; i < 200 || (Volatile.Read(ref reads) < 10 && i < 20_000); i++)
        {
            Cache.Write("n1", "ctr1", "eth0", null, Encoding.UTF8.GetBytes(big + i), [], null, WriteResult);
        }
        stop.Cancel();
        await reader;
        Assert.True(reads > 0);
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "results"), "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"kind\":\"cniCacheV1\",\"containerId\":")]
    [InlineData("garbage\0\u0001")]
    [InlineData("{\"kind\":\"cniCacheV2\",\"containerId\":\"c\",\"ifName\":\"eth0\",\"networkName\":\"n1\"}")]
    [InlineData("{\"kind\":\"cniCacheV1\",\"containerId\":\"c\",\"config\":\"!!notbase64\",\"ifName\":\"eth0\",\"networkName\":\"n1\"}")]
    public void Read_CorruptFile_IsTreatedAsAbsent(string content)
    {
        Directory.CreateDirectory(Path.Combine(_root, "results"));
        File.WriteAllText(Cache.PathFor("n1", "ctr1", "eth0"), content);
        Assert.Null(Cache.Read("n1", "ctr1", "eth0"));
        Assert.Empty(Cache.List());
    }

    [Fact]
    public void Read_LegacyBareResultFile_IsAccepted()
    {
        Directory.CreateDirectory(Path.Combine(_root, "results"));
        File.WriteAllText(Cache.PathFor("n1", "ctr1", "eth0"), """{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}""");
        CniCachedAttachment e = Cache.Read("n1", "ctr1", "eth0")!;
        Assert.Equal("0.3.1", (string?)e.ResultJson!["cniVersion"]);
        Assert.Empty(e.Config.ToArray());
    }

    [Fact]
    public void Read_FileWrittenByLibcni_Podman()
    {
        string dir = Path.Combine(_root, "results");
        Directory.CreateDirectory(dir);
        const string ctr = "7d3c5c3f0b8e4a8f9c21a6d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "Execution", "libcni-podman-cache.json"),
            Path.Combine(dir, $"podman-{ctr}-eth0"));

        CniCachedAttachment e = Cache.Read("podman", ctr, "eth0")!;
        Assert.Equal("/run/netns/netns-3b1e6d8a-0c55-c2b1-7e0f-9b8f6e8d4a21", e.NetNs);
        Assert.Equal(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "Execution", "podman.conflist")), e.Config.ToArray());
        Assert.Equal(
            [new("IgnoreUnknown", "1"), new("K8S_POD_NAMESPACE", "web"), new KeyValuePair<string, string>("K8S_POD_NAME", "nginx<x>")],
            e.CniArgs);
        Assert.Equal(8080, (int)e.CapabilityArgs!["portMappings"]![0]!["hostPort"]!);
        Assert.Equal("10.88.0.7/16", (string?)e.ResultJson!["ips"]![0]!["address"]);

        CniCachedAttachment listed = Assert.Single(Cache.List(ctr));
        Assert.Equal("podman", listed.NetworkName);
        Assert.Empty(Cache.List("other"));
    }

    [Fact]
    public void List_SkipsTempAndForeignFiles_AndFiltersByContainer()
    {
        Cache.Write("n1", "a", "eth0", null, s_config, [], null, WriteResult);
        Cache.Write("n1", "b", "eth0", null, s_config, [], null, WriteResult);
        Cache.Write("n2", "a", "net1", null, s_config, [], null, WriteResult);
        File.WriteAllText(Path.Combine(_root, "results", ".n1-c-eth0.123.tmp"), "{");
        Assert.Equal(["n1/a/eth0", "n1/b/eth0", "n2/a/net1"], Cache.List().Select(e => $"{e.NetworkName}/{e.ContainerId}/{e.IfName}"));
        Assert.Equal(["n1/a/eth0", "n2/a/net1"], Cache.List("a").Select(e => $"{e.NetworkName}/{e.ContainerId}/{e.IfName}"));
    }

    [Fact]
    public void Delete_RemovesOnlyThatEntry()
    {
        Cache.Write("n1", "a", "eth0", null, s_config, [], null, WriteResult);
        Cache.Write("n1", "b", "eth0", null, s_config, [], null, WriteResult);
        Assert.True(Cache.Delete("n1", "a", "eth0"));
        Assert.False(Cache.Delete("n1", "a", "eth0"));
        Assert.Null(Cache.Read("n1", "a", "eth0"));
        Assert.NotNull(Cache.Read("n1", "b", "eth0"));
    }

    [Fact]
    public void PathFor_EmptyPart_Throws()
    {
        Assert.Throws<ArgumentException>(() => Cache.PathFor("n1", "", "eth0"));
    }

    /// <summary>A pid that no process has: above the kernel's pid_max.</summary>
    private static int DeadPid() => int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture) + 1;

    private string Temp(string entry, int pid)
    {
        string dir = Path.Combine(_root, "results");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $".{entry}.{pid}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(path, "{\"kind\":");
        return path;
    }

    [Fact]
    public void WriteAndDelete_LeaveOnlyTheEntry_AndRemoveWhatAKilledReplacerLeft()
    {
        string dir = Path.Combine(_root, "results");
        string[] Files() => [.. Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

        Cache.Write("n1", "ctr1", "eth0", null, s_config, [], null, WriteResult);
        Assert.Equal(["n1-ctr1-eth0"], Files());
        Cache.Write("n1", "ctr1", "eth0", null, s_config, [new("A", "2")], null, WriteResult); // replaces the entry
        Assert.Equal("2", Cache.Read("n1", "ctr1", "eth0")!.CniArgs.Single().Value);
        Assert.Equal(["n1-ctr1-eth0"], Files());

        // A writer killed between linking its file under the temporary name and renaming it left that name behind:
        // the next write takes its place, and DEL removes one left after the last write.
        File.WriteAllText(Path.Combine(dir, ".n1-ctr1-eth0.tmp"), "{\"kind\":\"cniCacheV1\"");
        Cache.Write("n1", "ctr1", "eth0", null, s_config, [new("A", "3")], null, WriteResult);
        Assert.Equal("3", Cache.Read("n1", "ctr1", "eth0")!.CniArgs.Single().Value);
        Assert.Equal(["n1-ctr1-eth0"], Files());
        File.WriteAllText(Path.Combine(dir, ".n1-ctr1-eth0.tmp"), "{");
        Assert.True(Cache.Delete("n1", "ctr1", "eth0"));
        Assert.Empty(Files());
        Assert.False(Cache.Delete("n1", "ctr1", "eth0"));
    }

    [Fact]
    public void WriteAndDelete_DoNotReadTheDirectory_EarlierVersionsOrphansAreGCs()
    {
        string orphan = Temp("n1-ctr1-eth0", DeadPid());
        string live = Temp("n1-ctr1-eth0", Environment.ProcessId);
        Cache.Write("n1", "ctr1", "eth0", null, s_config, [], null, WriteResult);
        Assert.True(Cache.Delete("n1", "ctr1", "eth0"));
        Assert.True(File.Exists(orphan));

        Assert.Empty(Cache.List());
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(live)); // a writer still running may be about to rename it
    }

    [Fact]
    public void ReplaceThroughTemporary_WhereTheFileSystemHasNoUnnamedFiles_IsAtomicAndTidy()
    {
        string dir = Path.Combine(_root, "plain");
        string path = Path.Combine(dir, "entry"), temporary = Path.Combine(dir, ".entry.tmp");
        Assert.False(Cni.Net.Interop.PosixFile.TryReplaceThroughTemporary(path, temporary, "a"u8, 0x180)); // no directory
        Directory.CreateDirectory(dir);
        Assert.True(Cni.Net.Interop.PosixFile.TryReplaceThroughTemporary(path, temporary, "first"u8, 0x180));
        File.WriteAllText(temporary, "a killed writer's"); // replaced, not in the way
        Assert.True(Cni.Net.Interop.PosixFile.TryReplaceThroughTemporary(path, temporary, "second"u8, 0x180));
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal(["entry"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Write_TheFirstEntryMakesTheResultsDirectory_AndAFailureNamesThePath()
    {
        Cache.Write("n1", "ctr1", "eth0", null, s_config, [], null, WriteResult);
        Assert.NotNull(Cache.Read("n1", "ctr1", "eth0"));

        // An entry path taken by a directory: the rename fails, the temporary is removed, the error says where.
        string blocked = Cache.PathFor("n1", "ctr2", "eth0");
        Directory.CreateDirectory(Path.Combine(blocked, "x"));
        IOException e = Assert.Throws<IOException>(() => Cache.Write("n1", "ctr2", "eth0", null, s_config, [], null, WriteResult));
        Assert.Contains(blocked, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_root, "results")), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Throws<IOException>(() => Cache.Delete("n1", "ctr2", "eth0"));
    }

    [Fact]
    public void List_AsGCDoes_RemovesEveryOrphanedTemporary()
    {
        string a = Temp("n1-ctr1-eth0", DeadPid());
        string b = Temp("n2-ctr9-net1", DeadPid());
        string live = Temp("n2-ctr9-net1", Environment.ProcessId);
        Assert.Empty(Cache.List());
        Assert.False(File.Exists(a));
        Assert.False(File.Exists(b));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void Write_IdTooLongForAFileName_CachedUnderAHashAndFound()
    {
        string id = new('c', 300);
        Cache.Write("n1", id, "eth0", null, s_config, [], null, WriteResult);
        string name = Path.GetFileName(Cache.PathFor("n1", id, "eth0"));
        Assert.StartsWith("long-", name, StringComparison.Ordinal);
        Assert.Equal(id, Cache.Read("n1", id, "eth0")!.ContainerId);
        Assert.Equal(id, Assert.Single(Cache.List(id)).ContainerId);
        Assert.Empty(Cache.List("ctr-other"));
        Assert.True(Cache.Delete("n1", id, "eth0"));
        Assert.Equal("n1-ctr1-eth0", Path.GetFileName(Cache.PathFor("n1", "ctr1", "eth0"))); // libcni's name otherwise
    }
}
