using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Execution;

/// <summary>
/// The published NativeAOT cni-tool (artifacts/bin/cni-tool, built by eng/publish.sh) running the reference plugins
/// with cnitool's conventions: NETCONFPATH, CNI_PATH, CAP_ARGS, CNI_IFNAME; the result as JSON on stdout, errors on
/// stderr with exit code 1.
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

        // CHECK: the reference portmap (snat) fails IPv4-only pods; the tool reports that error on stderr and exits 1.
        Shell.Output check = Tool(conf, capArgs, "check", "tooltest", ns.Path);
        Assert.Equal((1, ""), (check.ExitCode, check.StdOut));
        Assert.StartsWith("cni-tool: check tooltest: plugin portmap failed (CHECK): ", check.StdErr, StringComparison.Ordinal);
        Assert.Contains("(CNI code 999)", check.StdErr, StringComparison.Ordinal);

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
    public void Errors_OnStderrWithCniCode_Exit1_StdoutEmpty()
    {
        string conf = Path.Combine(_temp, "net.d");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "10-x.conflist"), """{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"no-such-plugin"}]}""");

        Shell.Output missing = Tool(conf, null, "add", "nope", "/run/netns/none");
        Assert.Equal((1, ""), (missing.ExitCode, missing.StdOut));
        Assert.Equal($"cni-tool: add nope: no network named \"nope\" in {conf} (CNI code 7)\n", missing.StdErr);

        // A path that is no namespace is the runtime's code 4, before any plugin is looked for.
        Shell.Output noNetns = Tool(conf, null, "add", "x", "/run/netns/none");
        Assert.Equal((1, ""), (noNetns.ExitCode, noNetns.StdOut));
        Assert.Equal("cni-tool: add x: CNI_NETNS /run/netns/none does not exist (CNI code 4)\n", noNetns.StdErr);

        Shell.Output noPlugin = Tool(conf, null, "add", "x", "/proc/self/ns/net");
        Assert.Equal((1, ""), (noPlugin.ExitCode, noPlugin.StdOut));
        Assert.Equal($"cni-tool: add x: failed to find plugin \"no-such-plugin\": not found in CNI_PATH ({ReferenceChainTests.ReferencePluginDir}) (CNI code 7)\n",
            noPlugin.StdErr);

        Shell.Output badCap = Tool(conf, "[1]", "add", "x", "/proc/self/ns/net");
        Assert.Equal((1, ""), (badCap.ExitCode, badCap.StdOut));
        Assert.StartsWith("cni-tool: add x: CAP_ARGS must be a JSON object (CNI code 6)", badCap.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void CommandLine_HelpOnStdout_UsageErrorsOnStderr_Version()
    {
        string conf = Path.Combine(_temp, "net.d");
        Directory.CreateDirectory(conf);

        Shell.Output help = Tool(conf, null, "--help");
        Assert.Equal((0, ""), (help.ExitCode, help.StdErr));
        foreach (string verb in new[] { "add", "check", "del", "gc", "status", "version", "list" })
        {
            Assert.Contains($"  {verb} ", help.StdOut, StringComparison.Ordinal);
        }
        Assert.Contains("NETCONFPATH", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("-v, --verbose", help.StdOut, StringComparison.Ordinal);
        Shell.Output addHelp = Tool(conf, null, "add", "--help");
        Assert.Equal(0, addHelp.ExitCode);
        Assert.Contains("add <network> <netns>", addHelp.StdOut, StringComparison.Ordinal);

        Shell.Output version = Tool(conf, null, "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^0\.\d+\.\d+", version.StdOut);

        (string[] Args, string Message)[] usage =
        [
            (["frob"], "Unrecognized command or argument 'frob'."),
            (["add", "x"], "Required argument missing for command: 'add'."),
            (["del", "x", "/run/netns/a", "extra"], "Unrecognized command or argument 'extra'."),
            ([], "Required command was not provided."),
        ];
        foreach ((string[] args, string message) in usage)
        {
            Shell.Output o = Tool(conf, null, args);
            Assert.Equal((1, ""), (o.ExitCode, o.StdOut));
            Assert.Contains(message, o.StdErr, StringComparison.Ordinal);
            Assert.EndsWith("Run 'cni-tool --help' for usage.\n", o.StdErr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Verbose_WritesTheLibraryLogToStderr_StdoutKeepsTheResult()
    {
        string conf = Path.Combine(_temp, "net.d");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "10-lo.conf"), """{"cniVersion":"1.0.0","name":"lo","type":"loopback"}""");
        using var ns = new TestNamespace("toolv");

        Shell.Output quiet = Tool(conf, null, "add", "lo", ns.Path);
        Assert.True(quiet.ExitCode == 0, quiet.StdErr);
        Assert.Equal("", quiet.StdErr);
        Shell.Output verbose = Tool(conf, null, "del", "lo", ns.Path, "-v");
        Assert.True(verbose.ExitCode == 0, verbose.StdErr);
        Assert.Equal("", verbose.StdOut);
        Assert.Contains("info Cni.Net.Execution.CniChainExecutor: DEL network lo for container cnitool-", verbose.StdErr, StringComparison.Ordinal);
        Assert.Contains("Starting plugin loopback", verbose.StdErr, StringComparison.Ordinal);
        using JsonDocument result = JsonDocument.Parse(quiet.StdOut);
        Assert.Equal("lo", result.RootElement.GetProperty("interfaces")[0].GetProperty("name").GetString());
    }
}
