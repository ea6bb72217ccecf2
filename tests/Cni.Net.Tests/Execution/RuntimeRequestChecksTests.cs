using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Execution;

/// <summary>
/// What the executor checks and adds before a plugin runs: the netns path (code 4), typed capability arguments
/// (written as the wire JSON), and a plugin that is not on CNI_PATH.
/// </summary>
public sealed class RuntimeRequestChecksTests : IDisposable
{
    private const string Result = """{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}""";
    private readonly FakePluginDirectory _plugins = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("cni-cache-").FullName;
    private readonly string _notNamespace = Path.GetTempFileName();

    public void Dispose()
    {
        _plugins.Dispose();
        Directory.Delete(_cache, true);
        File.Delete(_notNamespace);
    }

    private CniChainExecutor Executor()
    {
        var options = new CniExecutorOptions { CacheDirectory = _cache };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(_plugins.Path);
        return new CniChainExecutor(options);
    }

    private static NetworkConfigList Net(string plugins) =>
        NetworkConfigList.Parse(Encoding.UTF8.GetBytes($$"""{"cniVersion":"1.0.0","name":"n","plugins":[{{plugins}}]}"""));

    [Fact]
    public async Task Add_MissingOrNonNamespaceNetns_Code4BeforeAnyPlugin()
    {
        _plugins.AddPrinting("a", Result);
        CniChainExecutor x = Executor();
        var missing = await Assert.ThrowsAsync<CniException>(async () =>
            await x.AddAsync(Net("""{"type":"a"}"""), new CniRuntimeRequest("c1", "/run/netns/cni-test-does-not-exist")));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, missing.Code);
        Assert.Equal("CNI_NETNS /run/netns/cni-test-does-not-exist does not exist", missing.Message);

        var notNs = await Assert.ThrowsAsync<CniException>(async () =>
            await x.CheckAsync(Net("""{"type":"a"}"""), new CniRuntimeRequest("c1", _notNamespace)));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, notNs.Code);
        Assert.Contains("is not a network namespace", notNs.Message, StringComparison.Ordinal);
        Assert.Empty(_plugins.Order());

        // DEL still runs with a namespace that is gone (the spec wants DEL to succeed then).
        await x.DelAsync(Net("""{"type":"a"}"""), new CniRuntimeRequest("c1", "/run/netns/cni-test-does-not-exist"));
        Assert.Equal(["a DEL"], _plugins.Order());
    }

    [Fact]
    public async Task Add_TypedRuntimeConfig_ReachesPluginsAsWireJson_AndIsCached()
    {
        _plugins.AddPrinting("portmap", Result);
        var request = new CniRuntimeRequest("c1", "/proc/self/ns/net")
        {
            CapabilityArgs = new JsonObject { ["bandwidth"] = new JsonObject { ["ingressRate"] = 1 }, ["mac"] = "raw" },
            RuntimeConfig = new CniRuntimeConfig
            {
                PortMappings = [new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "tcp" }],
                Mac = "0a:58:00:00:00:01",
            },
        };
        await Executor().AddAsync(Net("""{"type":"portmap","capabilities":{"portMappings":true,"mac":true,"bandwidth":true}}"""), request);

        JsonNode runtimeConfig = JsonNode.Parse(_plugins.Stdin(1))!["runtimeConfig"]!;
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"mac":"0a:58:00:00:00:01","bandwidth":{"ingressRate":1}}""",
            runtimeConfig.ToJsonString());
        CniCachedAttachment cached = Assert.Single(Executor().GetCachedAttachments());
        Assert.Equal(8080, cached.CapabilityArgs!["portMappings"]![0]!["hostPort"]!.GetValue<int>());
        Assert.Equal(80, CniRuntimeConfig.Parse(cached.CapabilityArgs).PortMappings![0].ContainerPort);
    }

    [Fact]
    public async Task Add_PluginNotOnPath_SaysNotFoundInCniPath_NotThatItFailed()
    {
        var e = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().AddAsync(Net("""{"type":"nope"}"""), new CniRuntimeRequest("c1", "/proc/self/ns/net")));
        Assert.Equal($"failed to find plugin \"nope\": not found in CNI_PATH ({_plugins.Path})", e.Message);
    }
}
