using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Tests.Execution;

namespace Cni.Net.Tests.Plugins;

public sealed class CniIpamTests : IDisposable
{
    private const string IpamResult = """{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.5/16","gateway":"10.22.0.1"}],"routes":[{"dst":"0.0.0.0/0"}]}""";

    private readonly FakePluginDirectory _plugins = new();

    public void Dispose() => _plugins.Dispose();

    /// <summary>A main plugin that delegates to IPAM, then fails or succeeds as told.</summary>
    private sealed class DelegatingPlugin : ICniPlugin
    {
        public bool FailAfterIpam { get; init; }

        public CniResult? IpamGot { get; private set; }

        public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            IpamGot = await CniIpam.AddAsync(request, cancellationToken);
            if (FailAfterIpam)
            {
                throw new CniException((CniErrorCode)101, "veth setup failed");
            }
            return IpamGot;
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => CniIpam.DelAsync(request, cancellationToken);

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => CniIpam.CheckAsync(request, cancellationToken);

        public ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken) => CniIpam.StatusAsync(request, cancellationToken);

        public ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken) => CniIpam.GCAsync(request, cancellationToken);
    }

    private Dictionary<string, string> Env(string command) => new(StringComparer.Ordinal)
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = "ctr1",
        ["CNI_NETNS"] = "/run/netns/x",
        ["CNI_IFNAME"] = "eth0",
        ["CNI_ARGS"] = "K8S_POD_NAME=web",
        ["CNI_PATH"] = "/nonexistent:" + _plugins.Path,
        ["PATH"] = "/usr/bin:/bin",
        ["EXTRA"] = "kept",
    };

    private const string Conf = """{"cniVersion":"1.1.0","name":"net1","type":"main","ipam":{"type":"fake-ipam","subnet":"10.22.0.0/16"}}""";

    /// <param name="blocking">Delegate as a plugin process does (<see cref="BlockingPluginRunner"/>), not through the asynchronous runner.</param>
    private static async Task<(int Exit, string Stdout)> Invoke(ICniPlugin plugin, Dictionary<string, string> env, string stdin,
        bool blocking, TimeSpan? timeout = null)
    {
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(plugin, env, Encoding.UTF8.GetBytes(stdin),
            new CniPluginHostOptions { DelegationTimeout = timeout ?? TimeSpan.FromSeconds(20) }, default, blocking);
        return (o.ExitCode, Encoding.UTF8.GetString(o.Stdout));
    }

    [Theory]
    [InlineData("ADD", false)]
    [InlineData("DEL", false)]
    [InlineData("CHECK", false)]
    [InlineData("STATUS", false)]
    [InlineData("GC", false)]
    [InlineData("ADD", true)]
    [InlineData("DEL", true)]
    [InlineData("CHECK", true)]
    [InlineData("STATUS", true)]
    [InlineData("GC", true)]
    public async Task Delegates_WithSameEnvironmentAndWholeConfig(string command, bool blocking)
    {
        _plugins.AddPrinting("fake-ipam", command == "ADD" ? IpamResult : "");
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env(command), Conf, blocking);
        Assert.Equal(0, exit);
        Assert.Equal([$"fake-ipam {command}"], _plugins.Order());
        Assert.Equal(Conf, _plugins.Stdin(1));
        IReadOnlyDictionary<string, string> env = _plugins.Env(1);
        Assert.Equal(command, env["CNI_COMMAND"]);
        Assert.Equal("ctr1", env["CNI_CONTAINERID"]);
        Assert.Equal("K8S_POD_NAME=web", env["CNI_ARGS"]);
        Assert.Equal("/nonexistent:" + _plugins.Path, env["CNI_PATH"]);
        if (command == "ADD")
        {
            Assert.Equal("1.1.0", JsonNode.Parse(stdout)!["cniVersion"]!.GetValue<string>());
            Assert.Equal("10.22.0.5/16", JsonNode.Parse(stdout)!["ips"]![0]!["address"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AddFailsAfterIpam_ReleasesAllocationThenReportsTheOriginalError(bool blocking)
    {
        _plugins.Add("fake-ipam", $"if [ \"$CNI_COMMAND\" = ADD ]; then printf '%s' '{IpamResult}'; fi");
        var (exit, stdout) = await Invoke(new DelegatingPlugin { FailAfterIpam = true }, Env("ADD"), Conf, blocking);
        Assert.Equal(1, exit);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(101u, doc.RootElement.GetProperty("code").GetUInt32());
        Assert.Equal("veth setup failed", doc.RootElement.GetProperty("msg").GetString());
        Assert.Equal(["fake-ipam ADD", "fake-ipam DEL"], _plugins.Order());
        Assert.Equal(Conf, _plugins.Stdin(2));
        Assert.Equal("ctr1", _plugins.Env(2)["CNI_CONTAINERID"]);
        Assert.Equal("eth0", _plugins.Env(2)["CNI_IFNAME"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IpamAddFails_NothingToRelease_ErrorPassedThrough(bool blocking)
    {
        _plugins.AddPrinting("fake-ipam", """{"cniVersion":"1.1.0","code":100,"msg":"no IP addresses available in range set"}""", exitCode: 1);
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env("ADD"), Conf, blocking);
        Assert.Equal(1, exit);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(100u, doc.RootElement.GetProperty("code").GetUInt32());
        Assert.Equal(["fake-ipam ADD"], _plugins.Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IpamHangs_TimesOut(bool blocking)
    {
        _plugins.Add("fake-ipam", "sleep 60");
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env("ADD"), Conf, blocking, TimeSpan.FromMilliseconds(400));
        Assert.Equal(1, exit);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(5u, doc.RootElement.GetProperty("code").GetUInt32());
        Assert.Contains("did not finish within 0.4 s", doc.RootElement.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"cniVersion":"1.1.0","name":"net1","type":"main"}""", false)]
    [InlineData("""{"cniVersion":"1.1.0","name":"net1","type":"main","ipam":{}}""", true)]
    public async Task NoIpamType_Code7(string conf, bool blocking)
    {
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env("ADD"), conf, blocking);
        Assert.Equal(1, exit);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        Assert.Equal(7u, doc.RootElement.GetProperty("code").GetUInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IpamNotOnPath_ErrorNamesDirectories(bool blocking)
    {
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env("ADD"), Conf, blocking);
        Assert.Equal(1, exit);
        Assert.Contains("fake-ipam", stdout, StringComparison.Ordinal);
        Assert.Contains("/nonexistent", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocking_LargeConfigAndChattyStderr_AllBytesCrossBothWays()
    {
        // Far more than a pipe holds, in both directions at once: stdin is written while stdout and stderr are read.
        string padding = new('x', 300_000);
        string conf = $$$"""{"cniVersion":"1.1.0","name":"net1","type":"main","pad":"{{{padding}}}","ipam":{"type":"fake-ipam"}}""";
        _plugins.Add("fake-ipam", $"head -c 200000 /dev/zero | tr '\\0' e >&2; printf '%s' '{IpamResult}'");
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env("ADD"), conf, blocking: true);
        Assert.True(exit == 0, stdout);
        Assert.Equal(conf, _plugins.Stdin(1));
        Assert.Equal("10.22.0.5/16", JsonNode.Parse(stdout)!["ips"]![0]!["address"]!.GetValue<string>());
    }

    [Fact]
    public async Task Blocking_IpamFailsWithStderr_DetailsCarryIt()
    {
        _plugins.Add("fake-ipam", "echo 'disk on fire' >&2; exit 3");
        var (exit, stdout) = await Invoke(new DelegatingPlugin(), Env("ADD"), Conf, blocking: true);
        Assert.Equal(1, exit);
        Assert.Contains("disk on fire", stdout, StringComparison.Ordinal);
    }
}
