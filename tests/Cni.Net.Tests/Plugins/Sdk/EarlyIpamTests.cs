using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Tests.Execution;

namespace Cni.Net.Tests.Plugins.Sdk;

/// <summary>
/// <see cref="CniPlugin{TConfig}.StartsIpamBeforeRead"/>: the exec'd IPAM plugin runs while the configuration is read,
/// the handler gets that one run, and a refused configuration or a handler that never asks loses no address.
/// </summary>
public sealed class EarlyIpamTests : IDisposable
{
    private const string IpamResult = """{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.5/16","gateway":"10.22.0.1"}]}""";

    private readonly FakePluginDirectory _plugins = new();

    public EarlyIpamTests() =>
        _plugins.Add("fake-ipam", $"if [ \"$CNI_COMMAND\" = ADD ]; then printf '%s' '{IpamResult}'; fi");

    public void Dispose() => _plugins.Dispose();

    private sealed class EarlyPlugin(FakePluginDirectory plugins, bool startEarly, bool askForIpam, TimeSpan waitInValidate)
        : CniPlugin<SdkTestConfig>(() => SdkTestJsonContext.Default)
    {
        /// <summary>Whether the IPAM plugin had been started when the configuration was validated.</summary>
        public bool IpamRanBeforeValidate { get; private set; }

        protected override bool StartsIpamBeforeRead(CniPluginRequest request) => startEarly;

        protected override void Validate(SdkTestConfig config, CniPluginRequest request)
        {
            DateTime until = DateTime.UtcNow + waitInValidate;
            do
            {
                IpamRanBeforeValidate = plugins.Order().Contains("fake-ipam ADD");
            }
            while (!IpamRanBeforeValidate && DateTime.UtcNow < until && Sleep());
            if (config.Mtu is not 0 and < 68)
            {
                throw CniException.InvalidConfig("mtu", $"{config.Mtu} is out of range (68 to 65535)");
            }
        }

        private static bool Sleep()
        {
            Thread.Sleep(20);
            return true;
        }

        protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            askForIpam ? await CniIpam.AddAsync(request, cancellationToken) : new CniResult(request.CniVersion);

        protected override ValueTask DelAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            CniIpam.DelAsync(request, cancellationToken);

        protected override ValueTask CheckAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;
    }

    private static string Conf(string extra = "") =>
        $$$"""{"cniVersion":"1.1.0","name":"net1","type":"main"{{{extra}}},"ipam":{"type":"fake-ipam","subnet":"10.22.0.0/16"}}""";

    private async Task<(int Exit, JsonNode Output)> Run(EarlyPlugin plugin, string conf, bool blocking)
    {
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(plugin, _plugins.AddEnvironment(), Encoding.UTF8.GetBytes(conf),
            new CniPluginHostOptions { DelegationTimeout = TimeSpan.FromSeconds(20) }, TestContext.Current.CancellationToken, blocking);
        return (o.ExitCode, JsonNode.Parse(o.Stdout)!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StartedBeforeTheRead_TheHandlerGetsThatOneRun(bool blocking)
    {
        var plugin = new EarlyPlugin(_plugins, startEarly: true, askForIpam: true, waitInValidate: TimeSpan.FromSeconds(15));
        (int exit, JsonNode output) = await Run(plugin, Conf(), blocking);
        Assert.True(exit == 0, output.ToJsonString());
        Assert.True(plugin.IpamRanBeforeValidate, "the IPAM plugin had not run when the configuration was validated");
        Assert.Equal("10.22.0.5/16", output["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal(["fake-ipam ADD"], _plugins.Order());
        Assert.Equal(Conf(), _plugins.Stdin(1));
    }

    [Theory]
    [InlineData(",\"mtu\":5", "mtu: 5 is out of range (68 to 65535)", true)]
    [InlineData(",\"mtu\":\"wide\"", "mtu", true)]
    [InlineData(",\"mtu\":5", "mtu: 5 is out of range (68 to 65535)", false)]
    public async Task ConfigurationRefused_TheEarlyAllocationIsReleased_TheConfigErrorReported(string extra, string message, bool blocking)
    {
        var plugin = new EarlyPlugin(_plugins, startEarly: true, askForIpam: true, waitInValidate: TimeSpan.Zero);
        (int exit, JsonNode output) = await Run(plugin, Conf(extra), blocking);
        Assert.Equal(1, exit);
        Assert.Equal(7, output["code"]!.GetValue<int>());
        Assert.StartsWith(message, output["msg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["fake-ipam ADD", "fake-ipam DEL"], _plugins.Order());
        Assert.Equal("ctr1", _plugins.Env(2)["CNI_CONTAINERID"]);
        Assert.Equal("eth0", _plugins.Env(2)["CNI_IFNAME"]);
    }

    [Fact]
    public async Task IpamPluginMissing_TheConfigurationErrorIsStillTheOneReported()
    {
        var plugin = new EarlyPlugin(_plugins, startEarly: true, askForIpam: true, waitInValidate: TimeSpan.Zero);
        string conf = Conf(",\"mtu\":5").Replace("fake-ipam", "no-such-ipam", StringComparison.Ordinal);
        (int exit, JsonNode output) = await Run(plugin, conf, blocking: true);
        Assert.Equal(1, exit);
        Assert.Equal(7, output["code"]!.GetValue<int>());
        Assert.StartsWith("mtu: 5 is out of range", output["msg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_plugins.Order());
    }

    [Fact]
    public async Task HandlerNeverAsks_AddFails_AndTheAllocationIsReleased()
    {
        var plugin = new EarlyPlugin(_plugins, startEarly: true, askForIpam: false, waitInValidate: TimeSpan.Zero);
        (int exit, JsonNode output) = await Run(plugin, Conf(), blocking: true);
        Assert.Equal(1, exit);
        Assert.Contains("never asked for its result", output["msg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["fake-ipam ADD", "fake-ipam DEL"], _plugins.Order());
    }

    [Fact]
    public async Task NotAskedFor_IpamStartsOnlyInTheHandler()
    {
        var plugin = new EarlyPlugin(_plugins, startEarly: false, askForIpam: true, waitInValidate: TimeSpan.FromMilliseconds(300));
        (int exit, JsonNode output) = await Run(plugin, Conf(), blocking: true);
        Assert.True(exit == 0, output.ToJsonString());
        Assert.False(plugin.IpamRanBeforeValidate);
        Assert.Equal(["fake-ipam ADD"], _plugins.Order());
    }

    [Fact]
    public async Task ConfigurationWithoutIpam_TheHookIsNotAsked_NothingRuns()
    {
        var plugin = new EarlyPlugin(_plugins, startEarly: true, askForIpam: false, waitInValidate: TimeSpan.Zero);
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(plugin, _plugins.AddEnvironment(), """{"cniVersion":"1.1.0","name":"net1","type":"main"}"""u8.ToArray(),
            new CniPluginHostOptions(), TestContext.Current.CancellationToken, true);
        Assert.Equal(0, o.ExitCode);
        Assert.Empty(_plugins.Order());
    }
}
