using System.Text.Json.Nodes;
using Cni.Net.Kubelet;
using Cni.Net.Spec;
using Cni.Net.Tests.Execution;

namespace Cni.Net.Tests.Kubelet;

/// <summary>
/// What the plugins of the kubelet's cni network plugin receive, recorded by fake plugins: the kubelet's loopback
/// network (0.2.0, CNI_IFNAME eth0), CNI_ARGS, and the runtimeConfig the declared capabilities select.
/// </summary>
public sealed class CniNetworkPluginRequestTests : IDisposable
{
    private const string Versions = """{"cniVersion":"1.0.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0"]}""";
    private const string Result = """{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/proc/self/ns/net"}],"ips":[{"interface":0,"address":"10.244.1.5/24","gateway":"10.244.1.1"}]}""";
    private const string KubeletArgs = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=sandbox-1";

    private readonly FakePluginDirectory _plugins = new();
    private readonly string _root = Directory.CreateTempSubdirectory("cni-kubelet-").FullName;

    public CniNetworkPluginRequestTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "net.d"));
        _plugins.Add("loopback", Script("""{"cniVersion":"0.2.0","ip4":{"ip":"127.0.0.1/8"}}"""));
        _plugins.Add("fakebr", Script(Result));
    }

    public void Dispose()
    {
        _plugins.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private static string Script(string addResult) => $"""
        case "$CNI_COMMAND" in
          VERSION) printf '%s' '{Versions}' ;;
          ADD) printf '%s' '{addResult}' ;;
        esac
        """;

    private void WriteNetwork(string capabilities) => File.WriteAllText(Path.Combine(_root, "net.d", "10-pods.conflist"), $$$"""
        {"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"fakebr","capabilities":{{{capabilities}}}}]}
        """);

    private async Task<INetworkPlugin> InitAsync(string? podCidr)
    {
        var options = new NetworkPluginOptions
        {
            NetworkPlugin = "cni",
            CniConfDirectory = Path.Combine(_root, "net.d"),
            CniCacheDirectory = Path.Combine(_root, "cache"),
            PodCidr = podCidr,
        };
        options.CniBinDirectories.Clear();
        options.CniBinDirectories.Add(_plugins.Path);
        return await NetworkPlugins.InitAsync(options, TestContext.Current.CancellationToken);
    }

    private static PodSandbox Pod()
    {
        var pod = new PodSandbox("default", "web-0", "sandbox-1", "/proc/self/ns/net");
        pod.PortMappings.Add(new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "TCP" });
        pod.PortMappings.Add(new PortMapping { ContainerPort = 9090, Protocol = "TCP" });
        pod.Annotations["kubernetes.io/ingress-bandwidth"] = "10M";
        pod.DnsConfig = new DnsCapability { Servers = ["10.96.0.10"], Searches = ["default.svc.cluster.local"], Options = ["ndots:5"] };
        return pod;
    }

    private JsonObject Stdin(int call) => JsonNode.Parse(_plugins.Stdin(call))!.AsObject();

    /// <summary>The calls after Init's VERSION probes, "type COMMAND" each, with their 1-based call numbers.</summary>
    private List<(int Call, string What)> PodCalls() =>
        [.. _plugins.Order().Select((what, i) => (i + 1, what)).Where(c => !c.what.EndsWith(" VERSION", StringComparison.Ordinal))];

    [Fact]
    public async Task SetUpAndTearDown_EveryCapability_WhatTheKubeletSends()
    {
        WriteNetwork("""{"portMappings":true,"bandwidth":true,"ipRanges":true,"dns":true}""");
        INetworkPlugin plugin = await InitAsync("10.244.1.0/24");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await plugin.SetUpPodAsync(Pod(), ct);
        await plugin.TearDownPodAsync(Pod(), ct);

        List<(int Call, string What)> calls = PodCalls();
        Assert.Equal(["loopback ADD", "fakebr ADD", "loopback DEL", "fakebr DEL"], calls.Select(c => c.What));
        foreach ((int call, _) in calls)
        {
            IReadOnlyDictionary<string, string> env = _plugins.Env(call);
            Assert.Equal(KubeletArgs, env["CNI_ARGS"]);
            Assert.Equal("eth0", env["CNI_IFNAME"]);
            Assert.Equal("sandbox-1", env["CNI_CONTAINERID"]);
            Assert.Equal("/proc/self/ns/net", env["CNI_NETNS"]);
        }

        // The kubelet's loopback network, which declares no capability.
        Assert.Equal("""{"type":"loopback","name":"cni-loopback","cniVersion":"0.2.0"}""", _plugins.Stdin(calls[0].Call));
        Assert.Equal(
            """{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}]""" +
            ""","bandwidth":{"ingressRate":10000000,"ingressBurst":2147483647},"ipRanges":[[{"subnet":"10.244.1.0/24"}]]""" +
            ""","dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local"],"options":["ndots:5"]}}""",
            Stdin(calls[1].Call)["runtimeConfig"]!.ToJsonString());
        Assert.True(Stdin(calls[1].Call).ContainsKey("capabilities")); // libcni v1.3 keeps them (InjectConf only adds)
        // Teardown: no annotations and no DNS options reach the kubelet's DEL.
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}],"ipRanges":[[{"subnet":"10.244.1.0/24"}]]}""",
            Stdin(calls[3].Call)["runtimeConfig"]!.ToJsonString());
    }

    [Fact]
    public async Task TearDown_CallerKnowsOnlyTheSandbox_PortMappingsOfTheAdd()
    {
        WriteNetwork("""{"portMappings":true}""");
        INetworkPlugin plugin = await InitAsync(null);
        CancellationToken ct = TestContext.Current.CancellationToken;
        await plugin.SetUpPodAsync(Pod(), ct);
        await plugin.TearDownPodAsync(new PodSandbox("default", "web-0", "sandbox-1", null), ct);
        List<(int Call, string What)> calls = PodCalls();
        Assert.Equal("fakebr DEL", calls[^1].What);
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}]}""",
            Stdin(calls[^1].Call)["runtimeConfig"]!.ToJsonString());
    }

    [Fact]
    public async Task NoHostPorts_EmptyPortMappingsStillSent()
    {
        WriteNetwork("""{"portMappings":true,"ipRanges":true}""");
        INetworkPlugin plugin = await InitAsync("10.244.2.0/24,fd00:10:244:2::/64");
        await plugin.SetUpPodAsync(new PodSandbox("default", "web-0", "sandbox-1", "/proc/self/ns/net"), TestContext.Current.CancellationToken);
        (int call, string what) = PodCalls()[1];
        Assert.Equal("fakebr ADD", what);
        Assert.Equal("""{"portMappings":[],"ipRanges":[[{"subnet":"10.244.2.0/24"}],[{"subnet":"fd00:10:244:2::/64"}]]}""",
            Stdin(call)["runtimeConfig"]!.ToJsonString());
    }

    [Fact]
    public async Task IpRangesDeclared_NoPodCidr_NotReadyAndNoPluginRun_UntilTheEvent()
    {
        WriteNetwork("""{"ipRanges":true}""");
        INetworkPlugin plugin = await InitAsync(null);
        CancellationToken ct = TestContext.Current.CancellationToken;
        NetworkPluginStatus status = await plugin.GetStatusAsync(ct);
        Assert.False(status.IsReady);
        Assert.Equal("cni config needs ipRanges but no PodCIDR set", status.Reason);
        CniException e = await Assert.ThrowsAsync<CniException>(() => plugin.SetUpPodAsync(Pod(), ct).AsTask());
        Assert.Equal(CniErrorCode.PluginNotAvailable, e.Code);
        Assert.Equal("cni config needs ipRanges but no PodCIDR set", e.Message);
        Assert.Empty(PodCalls());

        plugin.OnPodCidrChanged("10.244.3.0/24");
        Assert.True((await plugin.GetStatusAsync(ct)).IsReady);
        // As the kubelet: the first pod CIDR sticks.
        plugin.OnPodCidrChanged("10.244.4.0/24");
        await plugin.SetUpPodAsync(Pod(), ct);
        (int call, _) = PodCalls()[1];
        Assert.Equal("""{"ipRanges":[[{"subnet":"10.244.3.0/24"}]]}""", Stdin(call)["runtimeConfig"]!.ToJsonString());
        Assert.Throws<ArgumentException>(() => plugin.OnPodCidrChanged("10.244.3.1/24"));
    }

    [Fact]
    public async Task LoopbackDelFails_OnlyLogged_PodStillTornDown()
    {
        WriteNetwork("""{"portMappings":true}""");
        INetworkPlugin plugin = await InitAsync(null);
        CancellationToken ct = TestContext.Current.CancellationToken;
        await plugin.SetUpPodAsync(Pod(), ct);
        _plugins.Add("loopback", """
            case "$CNI_COMMAND" in
              VERSION) printf '%s' '{"cniVersion":"1.0.0","supportedVersions":["0.2.0","1.0.0"]}' ;;
              DEL) printf '%s' '{"cniVersion":"0.2.0","code":11,"msg":"lo is stuck"}'; exit 1 ;;
            esac
            """);
        await plugin.TearDownPodAsync(Pod(), ct);
        Assert.Equal(["loopback ADD", "fakebr ADD", "loopback DEL", "fakebr DEL"], PodCalls().Select(c => c.What));
        Assert.Null(await plugin.GetPodNetworkStatusAsync(new PodSandbox("default", "web-0", "sandbox-1", null), ct));
    }

    [Fact]
    public async Task PodNetworkStatus_FromTheNetworksCache_NotTheLoopbacks()
    {
        WriteNetwork("""{"portMappings":true}""");
        INetworkPlugin plugin = await InitAsync(null);
        CancellationToken ct = TestContext.Current.CancellationToken;
        await plugin.SetUpPodAsync(Pod(), ct);
        // Both cache entries are for CNI_IFNAME eth0; the loopback's holds 127.0.0.1.
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_root, "cache", "results")).Length);
        Assert.Equal("10.244.1.5", (await plugin.GetPodNetworkStatusAsync(Pod(), ct))!.IP!.ToString());
    }
}
