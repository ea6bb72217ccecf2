using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Execution;

/// <summary>
/// The published NativeAOT cni-tool (artifacts/bin/cni-tool, built by eng/publish.sh) running the reference plugins
/// with cnitool's conventions: NETCONFPATH, CNI_PATH, CAP_ARGS, CNI_IFNAME; results and errors as JSON on stdout.
/// </summary>
public sealed class CniToolTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("cni-tool-it-").FullName;
    private readonly string _bridge = $"cnt{Environment.ProcessId % 10000}tool";

    public CniToolTests()
    {
        Require.NotInRootNamespace();
    }

    public void Dispose()
    {
        Shell.Run("ip", ["link", "del", _bridge]);
        ReferenceChainTests.RemoveSharedPortmapChains();
        Directory.Delete(_temp, recursive: true);
    }

    private static string ToolPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cni.Net.sln")))
            {
                string tool = Path.Combine(dir.FullName, "artifacts", "bin", "cni-tool");
                Assert.True(File.Exists(tool), $"{tool} is missing: run eng/publish.sh (eng/test.sh does) first");
                return tool;
            }
        }
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private Shell.Output Tool(string confDir, string? capArgs, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["NETCONFPATH"] = confDir,
            ["CNI_PATH"] = ReferenceChainTests.ReferencePluginDir,
            ["CNI_CACHE_DIR"] = Path.Combine(_temp, "cache"),
            ["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAME=tool",
        };
        if (capArgs is not null)
        {
            env["CAP_ARGS"] = capArgs;
        }
        return Shell.Run(ToolPath(), args, env: env);
    }

    [Fact]
    public void AddCheckDel_ThroughPublishedTool()
    {
        using var ns = new TestNamespace("tool");
        string conf = Path.Combine(_temp, "net.d");
        string dataDir = Path.Combine(_temp, "ipam");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "10-tooltest.conflist"),
            ReferenceChainTests.ChainConfig("tooltest", _bridge, dataDir, "10.94.0.0/24"));
        string capArgs = ReferenceChainTests.CapabilityArgs.ToJsonString();

        Shell.Output add = Tool(conf, capArgs, "add", "tooltest", ns.Path);
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        using JsonDocument result = JsonDocument.Parse(add.StdOut);
        Assert.Equal("1.0.0", result.RootElement.GetProperty("cniVersion").GetString());
        string podIp = result.RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
        Assert.StartsWith("10.94.0.", podIp, StringComparison.Ordinal);
        Assert.Contains(ns.IpJson("addr", "show", "dev", "eth0")[0].GetProperty("addr_info").EnumerateArray(),
            a => a.GetProperty("local").GetString() == podIp);
        Assert.Contains($"--to-destination {podIp}:80", Shell.Check("iptables-save", "-t", "nat"), StringComparison.Ordinal);

        // cnitool's container id: "cnitool-" + hex of the first 10 bytes of SHA-512(netns path).
        string containerId = "cnitool-" + Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(ns.Path)).AsSpan(0, 10));
        Assert.True(File.Exists(Path.Combine(_temp, "cache", "results", $"tooltest-{containerId}-eth0")));
        Assert.Equal(containerId, File.ReadAllText(Path.Combine(dataDir, "tooltest", podIp)).Split('\n')[0].Trim());

        // CHECK: the reference portmap (snat) fails IPv4-only pods; the tool reports that error as JSON and exits 1.
        Shell.Output check = Tool(conf, capArgs, "check", "tooltest", ns.Path);
        Assert.Equal(1, check.ExitCode);
        using (JsonDocument error = JsonDocument.Parse(check.StdOut))
        {
            Assert.Equal(999u, error.RootElement.GetProperty("code").GetUInt32());
            Assert.Equal("1.0.0", error.RootElement.GetProperty("cniVersion").GetString());
        }

        // DEL without CAP_ARGS: the capability arguments come from the cache.
        Shell.Output del = Tool(conf, null, "del", "tooltest", ns.Path);
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
        Assert.Equal("", del.StdOut);
        ReferenceChainTests.AssertNothingLeft(ns, dataDir, "tooltest", podIp);
        Assert.Empty(Directory.GetFiles(Path.Combine(_temp, "cache", "results")));
    }

    [Fact]
    public void Gc_DeletesEveryCachedAttachmentOfTheNetwork()
    {
        using var ns = new TestNamespace("toolgc");
        string conf = Path.Combine(_temp, "net.d");
        string dataDir = Path.Combine(_temp, "ipam");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "10-toolgc.conflist"),
            ReferenceChainTests.ChainConfig("toolgc", _bridge, dataDir, "10.93.0.0/24"));
        Shell.Output add = Tool(conf, ReferenceChainTests.CapabilityArgs.ToJsonString(), "add", "toolgc", ns.Path);
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        string podIp = JsonDocument.Parse(add.StdOut).RootElement.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];

        Shell.Output gc = Tool(conf, null, "gc", "toolgc");
        Assert.True(gc.ExitCode == 0, gc.StdOut + gc.StdErr);
        ReferenceChainTests.AssertNothingLeft(ns, dataDir, "toolgc", podIp);
    }

    [Fact]
    public void List_ShowsNetworksInKubeletOrderAndSkippedFilesWithReasons()
    {
        string conf = Path.Combine(_temp, "net.d");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "20-b.conflist"), """{"cniVersion":"1.0.0","name":"bnet","plugins":[{"type":"bridge"},{"type":"portmap"}]}""");
        File.WriteAllText(Path.Combine(conf, "10-a.conf"), """{"cniVersion":"0.4.0","name":"anet","type":"ptp"}""");
        File.WriteAllText(Path.Combine(conf, "05-broken.conflist"), "{ not json");
        File.WriteAllText(Path.Combine(conf, "README.txt"), "ignored");

        Shell.Output list = Tool(conf, null, "list");
        Assert.Equal(0, list.ExitCode);
        string[] lines = list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"networks in {conf} (first = default):", lines[0]);
        Assert.StartsWith("  1. anet  cniVersion 0.4.0  plugins [ptp]", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("  2. bnet  cniVersion 1.0.0  plugins [bridge, portmap]", lines[2], StringComparison.Ordinal);
        Assert.Equal("skipped:", lines[3]);
        Assert.StartsWith($"  {Path.Combine(conf, "05-broken.conflist")}: ", lines[4], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
    }

    [Fact]
    public void Errors_AreCniErrorJson_WithExitCode1_AndUsageIs2()
    {
        string conf = Path.Combine(_temp, "net.d");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "10-x.conflist"), """{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"no-such-plugin"}]}""");

        Shell.Output missing = Tool(conf, null, "add", "nope", "/run/netns/none");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal(7u, JsonDocument.Parse(missing.StdOut).RootElement.GetProperty("code").GetUInt32());

        Shell.Output noPlugin = Tool(conf, null, "add", "x", "/run/netns/none");
        Assert.Equal(1, noPlugin.ExitCode);
        JsonElement e = JsonDocument.Parse(noPlugin.StdOut).RootElement;
        Assert.Equal(7u, e.GetProperty("code").GetUInt32());
        Assert.Equal("1.0.0", e.GetProperty("cniVersion").GetString());
        Assert.Contains("no-such-plugin", e.GetProperty("msg").GetString(), StringComparison.Ordinal);

        Shell.Output badCap = Tool(conf, "[1]", "add", "x", "/run/netns/none");
        Assert.Equal(1, badCap.ExitCode);
        Assert.Equal(6u, JsonDocument.Parse(badCap.StdOut).RootElement.GetProperty("code").GetUInt32());

        Assert.Equal(2, Tool(conf, null, "frob").ExitCode);
        Assert.Equal(2, Tool(conf, null, "add", "x").ExitCode);
    }
}
