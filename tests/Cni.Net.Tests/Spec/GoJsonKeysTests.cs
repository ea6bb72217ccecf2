using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

/// <summary>
/// CNI JSON is read with Go's encoding/json rules, because that is what every reference plugin and libcni do and what
/// runtimes rely on: keys match case-insensitively, the last of repeated keys wins, integers are strict.
/// </summary>
public class GoJsonKeysTests
{
    // What containerd 1.6 (go-cni) sends: capability arguments marshalled with Go's field names.
    private const string ContainerdCapabilityArgs = """
        {"portMappings":[{"HostPort":18080,"ContainerPort":80,"Protocol":"tcp","HostIP":""}],
         "bandwidth":{"IngressRate":10000000,"IngressBurst":4294967295,"EgressRate":5000000,"EgressBurst":4294967295}}
        """;

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("hostPort", "hostPort", true)]
    [InlineData("HostPort", "hostPort", true)]
    [InlineData("HOSTPORT", "hostPort", true)]
    [InlineData("hostport", "hostPort", true)]
    [InlineData("host_port", "hostPort", false)]
    [InlineData("hostPorts", "hostPort", false)]
    [InlineData("\u017Fubnet", "subnet", true)] // long s folds to s in Go
    [InlineData("\u212Aind", "kind", true)] // the Kelvin sign folds to k in Go
    [InlineData("ı", "i", false)] // dotless i does not fold to i in Go
    public void Matches_FoldsAsGo(string key, string field, bool expected)
    {
        Assert.Equal(expected, CniJsonKeys.Matches(key, field));
        Assert.Equal(expected, CniJsonKeys.Fold(key) == CniJsonKeys.Fold(field));

        var reader = new Utf8JsonReader(Utf8("{\"" + key + "\":1}"));
        reader.Read();
        reader.Read();
        Assert.Equal(expected, CniJsonKeys.Matches(ref reader, Encoding.UTF8.GetBytes(field)));
    }

    [Fact]
    public void Matches_EscapedName_ComparedUnescaped()
    {
        var reader = new Utf8JsonReader("{\"Host\\u0050ort\":1}"u8);
        reader.Read();
        reader.Read();
        Assert.True(CniJsonKeys.Matches(ref reader, "hostPort"u8));
    }

    [Fact]
    public void RuntimeConfig_ContainerdGoFieldNames_Read()
    {
        PluginConfig config = PluginConfig.Parse(Utf8("{\"type\":\"portmap\",\"runtimeConfig\":" + ContainerdCapabilityArgs + "}"));
        CniRuntimeConfig runtime = config.RuntimeConfig!;
        PortMapping mapping = Assert.Single(runtime.PortMappings!);
        Assert.Equal(18080, mapping.HostPort);
        Assert.Equal(80, mapping.ContainerPort);
        Assert.Equal("tcp", mapping.Protocol);
        Assert.Equal("", mapping.HostIP);
        Assert.Equal(10_000_000UL, runtime.Bandwidth!.IngressRate);
        Assert.Equal(4_294_967_295UL, runtime.Bandwidth.IngressBurst);
        Assert.Equal(5_000_000UL, runtime.Bandwidth.EgressRate);
        Assert.Equal(4_294_967_295UL, runtime.Bandwidth.EgressBurst);
    }

    [Theory]
    [InlineData("""{"hostPort":1,"HostPort":2}""", 2)]
    [InlineData("""{"HostPort":2,"hostPort":1}""", 1)]
    [InlineData("""{"hostPort":1,"HostPort":2,"hostPort":3}""", 3)]
    [InlineData("""{"HOSTPORT":7,"containerPort":80}""", 7)]
    public void RuntimeConfig_RepeatedKeysInAnyCase_LastWins(string mapping, int hostPort)
    {
        PluginConfig config = PluginConfig.Parse(Utf8("{\"type\":\"portmap\",\"runtimeConfig\":{\"portMappings\":[" + mapping + "]}}"));
        Assert.Equal(hostPort, config.RuntimeConfig!.PortMappings![0].HostPort);
    }

    [Theory]
    [InlineData("""{"HostPort":1e3}""")] // Go refuses an exponent for an integer field
    [InlineData("""{"HostPort":80.0}""")]
    [InlineData("""{"HostPort":"80"}""")]
    [InlineData("""{"HostPort":2147483648}""")]
    public void RuntimeConfig_IntegerFormsGoRefuses_Code7(string mapping)
    {
        PluginConfig config = PluginConfig.Parse(Utf8("{\"type\":\"portmap\",\"runtimeConfig\":{\"portMappings\":[" + mapping + "]}}"));
        CniException e = Assert.Throws<CniException>(() => config.RuntimeConfig);
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith("runtimeConfig.portMappings", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"IngressRate":-1}""")]
    [InlineData("""{"IngressRate":18446744073709551616}""")]
    public void RuntimeConfig_BandwidthOutOfUInt64_Code7(string bandwidth)
    {
        PluginConfig config = PluginConfig.Parse(Utf8("{\"type\":\"bandwidth\",\"runtimeConfig\":{\"bandwidth\":" + bandwidth + "}}"));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, Assert.Throws<CniException>(() => config.RuntimeConfig).Code);
    }

    [Fact]
    public void PluginConfig_GoCasedKeys_Read()
    {
        PluginConfig config = PluginConfig.Parse(Utf8("""
            {"CNIVersion":"1.0.0","Name":"net","Type":"bridge","IPAM":{"Type":"host-local"},
             "Args":{"CNI":{"IPs":["10.1.2.3"]}},"DNS":{"Nameservers":["10.0.0.10"]},
             "Capabilities":{"portMappings":true},"RuntimeConfig":{"PortMappings":[{"HostPort":1,"ContainerPort":2}]},
             "PrevResult":{"CNIVersion":"1.0.0","IPs":[{"Address":"10.1.2.3/24"}]}}
            """));
        Assert.Equal("bridge", config.Type);
        Assert.Equal("net", config.Name);
        Assert.Equal(CniVersion.V1_0_0, config.CniVersion);
        Assert.NotNull(config.Ipam);
        Assert.True(config.Capabilities["portMappings"]);
        Assert.Equal(["10.1.2.3"], config.ConventionArgs!.Ips!);
        Assert.Equal(["10.0.0.10"], config.Dns!.Nameservers);
        Assert.Equal(1, config.RuntimeConfig!.PortMappings![0].HostPort);
        Assert.Equal("10.1.2.3/24", config.PrevResult!.IPs[0].Address.ToString());
    }

    [Fact]
    public void PluginConfig_RepeatedKey_LastWinsAndUnknownKeysKept()
    {
        PluginConfig config = PluginConfig.Parse(Utf8("""{"type":"bridge","x":1,"type":"macvlan","TYPE":"ptp","x":2}"""));
        Assert.Equal("ptp", config.Type);
        Assert.Equal(2, (int)config.Json["x"]!);
        Assert.Equal(3, config.Json.Count); // the duplicate "type" and "x" collapse to their last occurrence
    }

    [Fact]
    public void PluginConfig_SetName_ReplacesEverySpelling()
    {
        PluginConfig config = PluginConfig.Parse(Utf8("""{"type":"bridge","Name":"old","NAME":"older"}"""));
        config.Name = "new";
        Assert.Equal("""{"type":"bridge","name":"new"}""", config.ToString());
    }

    [Fact]
    public void PluginConfig_NumbersWrittenBackAsRead()
    {
        PluginConfig config = PluginConfig.Parse(Utf8("""{"type":"bandwidth","ingressBurst":4294967295,"f":1.50,"e":1E+3}"""));
        Assert.Equal("""{"type":"bandwidth","ingressBurst":4294967295,"f":1.50,"e":1E+3}""", config.ToString());
    }

    [Fact]
    public void NetworkConfigList_GoCasedKeys_Read()
    {
        NetworkConfigList list = NetworkConfigList.Parse(Utf8("""
            {"CNIVersion":"0.4.0","Name":"net","DisableCheck":true,"Plugins":[{"Type":"bridge"},{"TYPE":"portmap"}]}
            """));
        Assert.Equal("net", list.Name);
        Assert.Equal(CniVersion.V0_4_0, list.CniVersion);
        Assert.True(list.DisableCheck);
        Assert.Equal(["bridge", "portmap"], list.Plugins.Select(p => p.Type));
    }

    [Fact]
    public void NetworkConfigList_RepeatedPlugins_LastWins()
    {
        NetworkConfigList list = NetworkConfigList.Parse(Utf8("""
            {"name":"net","plugins":[{"type":"a"}],"plugins":[{"type":"b"},{"type":"c"}]}
            """));
        Assert.Equal(["b", "c"], list.Plugins.Select(p => p.Type));
    }

    [Fact]
    public void Result_GoCasedKeysAndRepeatedLists_ReadAsGo()
    {
        CniResult result = CniResult.Parse(Utf8("""
            {"CNIVersion":"1.0.0",
             "Interfaces":[{"Name":"eth0","Sandbox":"/run/netns/x","MAC":"0a:00:00:00:00:01"}],
             "ips":[{"address":"10.9.9.9/24"}],
             "IPs":[{"Address":"10.1.2.3/24","Gateway":"10.1.2.1","Interface":0}],
             "Routes":[{"Dst":"0.0.0.0/0","GW":"10.1.2.1"}],
             "DNS":{"Nameservers":["10.0.0.10"],"Search":["svc"]}}
            """));
        Assert.Equal(CniVersion.V1_0_0, result.CniVersion);
        Assert.Equal("eth0", result.Interfaces[0].Name);
        Assert.Equal("0a:00:00:00:00:01", result.Interfaces[0].Mac);
        CniIPConfig ip = Assert.Single(result.IPs); // the later "IPs" replaced the earlier "ips"
        Assert.Equal("10.1.2.3/24", ip.Address.ToString());
        Assert.Equal("10.1.2.1", ip.Gateway!.ToString());
        Assert.Equal(0, ip.Interface);
        Assert.Equal("10.1.2.1", Assert.Single(result.Routes).Gateway!.ToString());
        Assert.Equal(["10.0.0.10"], result.Dns!.Nameservers);
        Assert.Equal(["svc"], result.Dns.Search);
    }

    [Fact]
    public void Error_GoCasedKeys_Read()
    {
        CniError error = CniError.Parse(Utf8("""{"Code":7,"Msg":"bad","Details":"more"}"""));
        Assert.Equal(7u, error.Code);
        Assert.Equal("bad", error.Msg);
        Assert.Equal("more", error.Details);
    }

    [Fact]
    public void As_UserContext_ReadsKeysAsGo()
    {
        PluginConfig config = PluginConfig.Parse(Utf8("""{"type":"x","Speed":1,"speed":2,"MODE":"fast"}"""));
        SampleConf conf = config.As(SampleJsonContext.Default.SampleConf);
        Assert.Equal(2, conf.Speed);
        Assert.Equal("fast", conf.Mode);
    }

    [Fact]
    public void ExecutorInjection_GoCasedConfig_OneSpellingPerInjectedKey()
    {
        NetworkConfigList list = NetworkConfigList.Parse(Utf8("""
            {"cniVersion":"1.0.0","name":"net","plugins":[{"Type":"portmap","Name":"stale","Capabilities":{"portMappings":true}}]}
            """));
        byte[] bytes = CniChainExecutor.BuildPluginConfig(list.Plugins[0], "net", CniVersion.V1_0_0, null,
            JsonNode.Parse(ContainerdCapabilityArgs)!.AsObject());
        JsonObject sent = JsonNode.Parse(bytes)!.AsObject();
        // libcni v1.3 keeps "capabilities" (it only adds keys); the injected ones replace every other spelling.
        Assert.Equal(["Type", "Capabilities", "name", "cniVersion", "runtimeConfig"], sent.Select(p => p.Key));
        Assert.Equal(18080, (int)sent["runtimeConfig"]!["portMappings"]![0]!["HostPort"]!); // passed on as the runtime sent it
    }

    [Fact]
    public void CacheFile_GoCasedKeys_Read()
    {
        byte[] file = Utf8("""
            {"Kind":"cniCacheV1","ContainerID":"c1","IfName":"eth0","NetworkName":"net","Config":"e30=",
             "CNIArgs":[["K8S_POD_NAME","p"]],"CapabilityArgs":{"portMappings":[]},"Result":{"cniVersion":"1.0.0"}}
            """);
        CniCachedAttachment? cached = CniResultCache.Parse(file, "/x", out string? problem);
        Assert.Null(problem);
        Assert.Equal("c1", cached!.ContainerId);
        Assert.Equal("eth0", cached.IfName);
        Assert.Equal("net", cached.NetworkName);
        Assert.Equal("p", Assert.Single(cached.CniArgs).Value);
    }
}

internal sealed class SampleConf
{
    [JsonPropertyName("speed")]
    public int Speed { get; set; }

    [JsonPropertyName("mode")]
    public string? Mode { get; set; }
}

[JsonSerializable(typeof(SampleConf))]
internal sealed partial class SampleJsonContext : JsonSerializerContext;
