using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Plugins.Sdk;

internal sealed record SdkTestConfig
{
    // Members with a default other than zero take "set": the source generator passes zero for a missing init-only one.
    public string Bridge { get; set; } = "cni0";

    public int Mtu { get; init; }

    public bool IPMasq { get; init; }

    public ulong Rate { get; init; }

    public byte Small { get; init; }

    public int Mark { get; init; }

    public double Ratio { get; init; }

    public bool PreserveDefaultVlan { get; set; } = true;

    public IReadOnlyList<SdkTestRange>? Ranges { get; init; }

    public IReadOnlyDictionary<string, string>? Sysctl { get; init; }

    public SdkTestArgs? Args { get; init; }
}

internal sealed record SdkTestRange
{
    public required string Subnet { get; init; }

    public string? Gateway { get; init; }
}

internal sealed record SdkTestArgs
{
    public SdkTestCniArgs? Cni { get; init; }
}

internal sealed record SdkTestCniArgs
{
    public string? Mac { get; init; }
}

[JsonSerializable(typeof(SdkTestConfig))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SdkTestJsonContext : JsonSerializerContext;

[JsonSerializable(typeof(SdkTestRange))]
internal sealed partial class SdkOtherJsonContext : JsonSerializerContext;

/// <summary>The typed-config SDK: what reaches a handler, and the one error policy for what cannot.</summary>
public class CniPluginConfigTests
{
    private sealed class TypedPlugin() : CniPlugin<SdkTestConfig>(() => SdkTestJsonContext.Default)
    {
        public CniPluginRequest<SdkTestConfig>? Seen { get; private set; }

        protected override ValueTask<CniResult> AddAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken)
        {
            Seen = request;
            return ValueTask.FromResult(request.PrevResult ?? new CniResult(request.CniVersion));
        }

        protected override ValueTask DelAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken)
        {
            Seen = request;
            return ValueTask.CompletedTask;
        }

        protected override ValueTask CheckAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken)
        {
            Seen = request;
            return ValueTask.CompletedTask;
        }

        protected override void Validate(SdkTestConfig config, CniPluginRequest request)
        {
            if (config.Mtu is not 0 and (< 68 or > 65535))
            {
                throw CniException.InvalidConfig("mtu", $"{config.Mtu} is out of range (68 to 65535)");
            }
        }
    }

    private static Dictionary<string, string> Env(string command) => new(StringComparer.Ordinal)
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = "ctr1",
        ["CNI_NETNS"] = "/run/netns/x",
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = "/opt/cni/bin",
    };

    private static async Task<(int Exit, string Stdout, TypedPlugin Plugin)> Run(string config, string command = "ADD")
    {
        var plugin = new TypedPlugin();
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(plugin, Env(command), Encoding.UTF8.GetBytes(config),
            new CniPluginHostOptions(), TestContext.Current.CancellationToken);
        return (o.ExitCode, Encoding.UTF8.GetString(o.Stdout), plugin);
    }

    private static async Task<SdkTestConfig> Read(string keys)
    {
        (int exit, string stdout, TypedPlugin plugin) = await Run($$"""{"cniVersion":"1.0.0","name":"n","type":"t"{{keys}}}""");
        Assert.True(exit == 0, stdout);
        return plugin.Seen!.NetConf;
    }

    private static async Task<(uint Code, string Msg)> Fail(string config, string command = "ADD")
    {
        (int exit, string stdout, TypedPlugin plugin) = await Run(config, command);
        Assert.Equal(1, exit);
        Assert.Null(plugin.Seen);
        using var doc = JsonDocument.Parse(stdout);
        return (doc.RootElement.GetProperty("code").GetUInt32(), doc.RootElement.GetProperty("msg").GetString()!);
    }

    private sealed class CountingPlugin() : CniPlugin<SdkTestConfig>(() =>
    {
        Interlocked.Increment(ref s_metadataAsked);
        return SdkTestJsonContext.Default;
    })
    {
        protected override ValueTask<CniResult> AddAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CniResult(request.CniVersion));

        protected override ValueTask DelAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected override ValueTask CheckAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private static int s_metadataAsked;

    [Fact]
    public async Task ConfigMetadata_IsAskedForOnlyWhenAConfigIsRead_NotForVersion()
    {
        // Getting a source-generated JsonTypeInfo configures it (names escaped, attributes read): a fifth of a
        // NativeAOT plugin's start-up, which VERSION must not pay.
        var plugin = new CountingPlugin();
        byte[] stdin = """{"cniVersion":"1.0.0","name":"n","type":"t"}"""u8.ToArray();
        CniPluginOutcome version = await CniPluginHost.InvokeAsync(plugin, Env("VERSION"), stdin, new CniPluginHostOptions(),
            TestContext.Current.CancellationToken);
        Assert.Equal(0, version.ExitCode);
        Assert.Equal(0, Volatile.Read(ref s_metadataAsked));
        CniPluginOutcome add = await CniPluginHost.InvokeAsync(plugin, Env("ADD"), stdin, new CniPluginHostOptions(),
            TestContext.Current.CancellationToken);
        Assert.Equal(0, add.ExitCode);
        Assert.Equal(1, Volatile.Read(ref s_metadataAsked));
        // A long-lived host (the plugin server) reads many configs with the metadata made once.
        CniPluginOutcome again = await CniPluginHost.InvokeAsync(plugin, Env("ADD"), stdin, new CniPluginHostOptions(),
            TestContext.Current.CancellationToken);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(1, Volatile.Read(ref s_metadataAsked));
    }

    private sealed class WrongContextPlugin() : CniPlugin<SdkTestConfig>(() => SdkOtherJsonContext.Default)
    {
        protected override ValueTask<CniResult> AddAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CniResult(request.CniVersion));

        protected override ValueTask DelAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected override ValueTask CheckAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task AContextWithoutTheConfigType_IsNamedInTheError()
    {
        byte[] stdin = """{"cniVersion":"1.0.0","name":"n","type":"t"}"""u8.ToArray();
        CniPluginOutcome add = await CniPluginHost.InvokeAsync(new WrongContextPlugin(), Env("ADD"), stdin, new CniPluginHostOptions(),
            TestContext.Current.CancellationToken);
        Assert.Equal(1, add.ExitCode);
        using var doc = JsonDocument.Parse(add.Stdout);
        Assert.Contains("SdkOtherJsonContext does not declare SdkTestConfig", doc.RootElement.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Defaults_StayWhenKeysAreAbsent()
    {
        SdkTestConfig c = await Read("");
        Assert.Equal("cni0", c.Bridge);
        Assert.True(c.PreserveDefaultVlan);
        Assert.Null(c.Ranges);
    }

    [Theory]
    [InlineData(",\"mtu\":1400")]
    [InlineData(",\"MTU\":1400")]
    [InlineData(",\"Mtu\":1400")]
    [InlineData(",\"mtu\":9000,\"MTU\":1400")]
    [InlineData(",\"MTU\":1400,\"mtu\":null")]
    public async Task Keys_MatchAsGoMatchesThem_LastNonNullWins(string keys)
    {
        Assert.Equal(1400, (await Read(keys)).Mtu);
    }

    [Fact]
    public async Task Keys_FoldTheLongSAndTheKelvinSign()
    {
        // "ſ" (U+017F) folds to s and "K" (U+212A) to k in Go's encoding/json.
        SdkTestConfig c = await Read(",\"ſmall\":7,\"ipmaſq\":true,\"ranges\":[{\"ſubnet\":\"10.0.0.0/24\"}]");
        Assert.Equal(7, c.Small);
        Assert.True(c.IPMasq);
        Assert.Equal("10.0.0.0/24", Assert.Single(c.Ranges!).Subnet);
        Assert.Equal(5, (await Read(",\"mar\u212A\":5")).Mark);
        Assert.Equal("b", (await Read(",\"args\":{\"cni\":{\"mac\":\"a\"}},\"ARGS\":{\"CNI\":{\"MAC\":\"b\"}}")).Args!.Cni!.Mac);
    }

    [Fact]
    public async Task Null_LeavesTheDefault_UnknownKeys_AreIgnoredButKept()
    {
        (int exit, _, TypedPlugin plugin) = await Run("""{"cniVersion":"1.0.0","name":"n","type":"t","bridge":null,"preserveDefaultVlan":null,"other":{"x":1}}""");
        Assert.Equal(0, exit);
        Assert.Equal("cni0", plugin.Seen!.NetConf.Bridge);
        Assert.True(plugin.Seen.NetConf.PreserveDefaultVlan);
        Assert.NotNull(plugin.Seen.Config.Json["other"]);
    }

    [Fact]
    public async Task MapKeys_AreData_KeptAsWritten()
    {
        SdkTestConfig c = await Read(",\"sysctl\":{\"net.ipv4.conf.IFNAME.Forwarding\":\"1\"}");
        Assert.Equal("1", c.Sysctl!["net.ipv4.conf.IFNAME.Forwarding"]);
    }

    [Theory]
    [InlineData(",\"mtu\":\"1400\"", "mtu: expected an integer, found a string")]
    [InlineData(",\"MTU\":1400.0", "mtu: expected an integer, found 1400.0")]
    [InlineData(",\"mtu\":1e3", "mtu: expected an integer, found 1e3")]
    [InlineData(",\"mtu\":3000000000", "mtu: 3000000000 is out of range (-2147483648–2147483647)")]
    [InlineData(",\"rate\":-1", "rate: -1 is out of range (0–18446744073709551615)")]
    [InlineData(",\"small\":256", "small: 256 is out of range (0–255)")]
    [InlineData(",\"ipMasq\":\"yes\"", "ipMasq: expected true or false, found a string")]
    [InlineData(",\"bridge\":7", "bridge: expected a string, found a number")]
    [InlineData(",\"ratio\":\"x\"", "ratio: expected a number, found a string")]
    [InlineData(",\"ranges\":{}", "ranges: expected a list, found an object")]
    [InlineData(",\"ranges\":[{\"subnet\":1}]", "ranges[0].subnet: expected a string, found a number")]
    [InlineData(",\"ranges\":[{\"gateway\":\"10.0.0.1\"}]", "ranges[0].subnet: required key is missing")]
    [InlineData(",\"sysctl\":{\"a\":1}", "sysctl.a: expected a string, found a number")]
    [InlineData(",\"args\":{\"cni\":[]}", "args.cni: expected an object, found an array")]
    [InlineData(",\"mtu\":70000", "mtu: 70000 is out of range (68 to 65535)")]
    public async Task WrongValues_AreCode7NamingTheKeyPath(string keys, string message)
    {
        (uint code, string msg) = await Fail($$"""{"cniVersion":"1.0.0","name":"n","type":"t"{{keys}}}""");
        Assert.Equal(7u, code);
        Assert.Equal(message, msg);
    }

    [Theory]
    [InlineData("ADD")]
    [InlineData("DEL")]
    [InlineData("CHECK")]
    public async Task MalformedJson_IsCode6_OnEveryVerb(string command)
    {
        (uint code, _) = await Fail("""{"cniVersion":"1.0.0","name":"n","type":"t","mtu":""", command);
        Assert.Equal(6u, code);
    }

    [Fact]
    public async Task RuntimeConfig_And_PrevResult_AreTyped()
    {
        (int exit, string stdout, TypedPlugin plugin) = await Run("""
            {"cniVersion":"1.0.0","name":"n","type":"t",
             "RuntimeConfig":{"PortMappings":[{"HostPort":8080,"ContainerPort":80,"Protocol":"tcp"}],"bandwidth":{"ingressRate":1000,"ingressBurst":8000}},
             "prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}}
            """);
        Assert.True(exit == 0, stdout);
        CniPluginRequest<SdkTestConfig> r = plugin.Seen!;
        Assert.Equal(8080, Assert.Single(r.RuntimeConfig!.PortMappings!).HostPort);
        Assert.Equal(1000ul, r.RuntimeConfig.Bandwidth!.IngressRate);
        Assert.Equal("10.0.0.2/24", Assert.Single(r.PrevResult!.IPs).Address.ToString());
    }

    [Fact]
    public async Task RuntimeConfig_OfTheWrongShape_IsCode7NamingTheCapability()
    {
        (int exit, string stdout, TypedPlugin plugin) = await Run("""{"cniVersion":"1.0.0","name":"n","type":"t","runtimeConfig":{"portMappings":[{"hostPort":"x"}]}}""");
        Assert.Equal(0, exit); // only read when asked for
        var e = Assert.Throws<CniException>(() => plugin.Seen!.RuntimeConfig);
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith("runtimeConfig.portMappings[0].hostPort: expected an integer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void As_SharesTheRules()
    {
        PluginConfig config = PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"n","type":"t","MTU":1500,"mtu":null,"ipmaſq":true}"""u8);
        SdkTestConfig c = config.As(SdkTestJsonContext.Default.SdkTestConfig);
        Assert.Equal(1500, c.Mtu);
        Assert.True(c.IPMasq);
    }

    [Fact]
    public void BridgeDefaults_SurviveReading()
    {
        PluginConfig config = PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"n","type":"bridge"}"""u8);
        Cni.Samples.Bridge.BridgeConfig c = Cni.Samples.Bridge.BridgeConfig.ReadCniConfig(config.Json);
        Assert.False(c.PreserveDefaultVlan); // false since plugins v1.8
        Assert.Equal("cni0", c.BridgeName);
    }
}
