using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class PluginConfigTests
{
    [Theory]
    [InlineData("plugin-bridge-add-1.1.0.json")]
    [InlineData("plugin-tuning-add-1.1.0.json")]
    [InlineData("plugin-portmap-add-1.1.0.json")]
    [InlineData("plugin-portmap-del-1.1.0.json")]
    [InlineData("plugin-bridge-gc-1.1.0.json")]
    [InlineData("conf-0.3.1.conf")]
    public void Parse_SpecExample_RoundTripsExactlyInOrder(string file)
    {
        byte[] json = SpecTestData.Read("Spec/" + file);
        PluginConfig config = PluginConfig.Parse(json);
        Assert.Equal(SpecTestData.Compact(json), Encoding.UTF8.GetString(config.ToUtf8Bytes()));
    }

    [Fact]
    public void Properties_ReadTheWellKnownKeys()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Read("Spec/plugin-bridge-add-1.1.0.json"));
        Assert.Equal("bridge", c.Type);
        Assert.Equal("dbnet", c.Name);
        Assert.Equal(CniVersion.V1_1_0, c.CniVersion);
        Assert.Equal("host-local", (string?)c.Ipam!["type"]);
        Assert.Equal(["10.1.0.1"], c.Dns!.Nameservers);
        Assert.Empty(c.Capabilities);
        Assert.Null(c.PrevResult);
        Assert.Null(c.RuntimeConfig);
        Assert.Null(c.Args);
    }

    [Fact]
    public void PrevResult_WithoutVersion_TakesTheConfigVersion()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Read("Spec/plugin-tuning-add-1.1.0.json"));
        CniResult prev = c.PrevResult!;
        Assert.Equal(CniVersion.V1_1_0, prev.CniVersion);
        Assert.Equal("10.1.0.5/16", prev.IPs[0].Address.ToString());
        Assert.Equal("eth0", prev.Interfaces[prev.IPs[0].Interface!.Value].Name);
    }

    [Fact]
    public void RuntimeConfig_ReadsCapabilityArguments()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Read("Spec/plugin-portmap-add-1.1.0.json"));
        PortMapping pm = Assert.Single(c.RuntimeConfig!.PortMappings!);
        Assert.Equal((8080, 80, "tcp", (string?)null), (pm.HostPort, pm.ContainerPort, pm.Protocol, pm.HostIP));
    }

    [Fact]
    public void RuntimeConfig_AllConventionKeys_AreTyped()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8("""
            {"type":"x","runtimeConfig":{
              "portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"udp","hostIP":"127.0.0.1"}],
              "bandwidth":{"ingressRate":1000000,"ingressBurst":4294967295,"egressRate":2000000,"egressBurst":100000},
              "ipRanges":[[{"subnet":"10.0.0.0/24","rangeStart":"10.0.0.10","rangeEnd":"10.0.0.20","gateway":"10.0.0.1"}],[{"subnet":"fd00::/64"}]],
              "ips":["10.0.0.15/24"],"mac":"c2:11:22:33:44:55",
              "dns":{"servers":["1.1.1.1"],"searches":["svc"],"options":["ndots:5"]},
              "aliases":["web"],"cgroupPath":"/kubepods/pod1","deviceID":"0000:03:00.1","infinibandGUID":"c2:11:22:33:44:55:66:77",
              "futureCapability":{"anything":1}}}
            """));
        CniRuntimeConfig rc = c.RuntimeConfig!;
        Assert.Equal("127.0.0.1", rc.PortMappings![0].HostIP);
        Assert.Equal(4294967295UL, rc.Bandwidth!.IngressBurst);
        Assert.Equal(2000000UL, rc.Bandwidth.EgressRate);
        Assert.Equal(2, rc.IpRanges!.Count);
        Assert.Equal("10.0.0.20", rc.IpRanges[0][0].RangeEnd);
        Assert.Equal("fd00::/64", rc.IpRanges[1][0].Subnet);
        Assert.Equal(["10.0.0.15/24"], rc.Ips!);
        Assert.Equal("c2:11:22:33:44:55", rc.Mac);
        Assert.Equal(["1.1.1.1"], rc.Dns!.Servers!);
        Assert.Equal(["web"], rc.Aliases!);
        Assert.Equal("/kubepods/pod1", rc.CgroupPath);
        Assert.Equal("0000:03:00.1", rc.DeviceId);
        Assert.Equal("c2:11:22:33:44:55:66:77", rc.InfinibandGuid);
        Assert.Equal(1, (int)c.RuntimeConfigJson!["futureCapability"]!["anything"]!);
    }

    [Fact]
    public void RuntimeConfig_WrongShape_ThrowsInvalidNetworkConfigNamingPath()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8("""{"type":"x","runtimeConfig":{"portMappings":[{"hostPort":"eighty"}]}}"""));
        var e = Assert.Throws<CniException>(() => c.RuntimeConfig);
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains("portMappings", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConventionArgs_ReadsIpsAndLabels()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8(
            """{"type":"host-local","args":{"cni":{"ips":["10.0.0.9/24"],"labels":[{"key":"app","value":"web"}],"other":1},"mine":{}}}"""));
        CniConventionArgs args = c.ConventionArgs!;
        Assert.Equal(["10.0.0.9/24"], args.Ips!);
        CniLabel label = Assert.Single(args.Labels!);
        Assert.Equal(("app", "web"), (label.Key, label.Value));
        Assert.NotNull(c.Args!["mine"]);
        Assert.Null(PluginConfig.Parse(SpecTestData.Utf8("""{"type":"x","args":{}}""")).ConventionArgs);
    }

    [Theory]
    [InlineData("""{"type":"x","args":{"cni":"ips"}}""", "args.cni: expected an object")]
    [InlineData("""{"type":"x","args":{"cni":{"ips":"10.0.0.9"}}}""", "args.cni.ips:")]
    [InlineData("""{"type":"x","args":{"cni":{"labels":[{"key":1}]}}}""", "args.cni.labels[0].key:")]
    public void ConventionArgs_WrongShape_ThrowsInvalidNetworkConfigNamingPath(string json, string messageStart)
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8(json));
        var e = Assert.Throws<CniException>(() => c.ConventionArgs);
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GcConfig_KeepsValidAttachmentsForThePlugin()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Read("Spec/plugin-bridge-gc-1.1.0.json"));
        var attachments = (System.Text.Json.Nodes.JsonArray)c.Json["cni.dev/valid-attachments"]!;
        Assert.Equal(["ctr-1", "ctr-2"], attachments.Select(a => (string?)a!["containerID"]));
    }

    [Fact]
    public void DelConfig_PrevResultIsTheFinalAddResult()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Read("Spec/plugin-portmap-del-1.1.0.json"));
        Assert.Equal(CniVersion.V1_1_0, c.PrevResult!.CniVersion);
        Assert.Equal(8080, c.RuntimeConfig!.PortMappings![0].HostPort);
    }

    [Fact]
    public void RuntimeConfig_HugeBandwidth_ThrowsInvalidNetworkConfigNamingPath()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8("""{"type":"bandwidth","runtimeConfig":{"bandwidth":{"ingressRate":1e30}}}"""));
        var e = Assert.Throws<CniException>(() => c.RuntimeConfig);
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith("runtimeConfig.bandwidth.ingressRate:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Capabilities_AreRead()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8("""{"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}}"""));
        Assert.True(c.Capabilities["portMappings"]);
        Assert.False(c.Capabilities["bandwidth"]);
    }

    [Fact]
    public void Setters_InjectRuntimeKeysKeepingOrder()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8("""{"type":"bridge","zz":1,"aa":{"b":[1,2]}}"""));
        PluginConfig injected = c.Clone();
        injected.Name = "net1";
        injected.CniVersion = CniVersion.V1_0_0;
        injected.RuntimeConfigJson = new JsonObject { ["mac"] = "00:11:22:33:44:55" };
        var prev = new CniResult(CniVersion.V1_0_0);
        prev.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.0.0.2/24") });
        injected.PrevResult = prev;
        Assert.Equal(
            """{"type":"bridge","zz":1,"aa":{"b":[1,2]},"name":"net1","cniVersion":"1.0.0","runtimeConfig":{"mac":"00:11:22:33:44:55"},"prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}}""",
            Encoding.UTF8.GetString(injected.ToUtf8Bytes()));
        Assert.Equal("""{"type":"bridge","zz":1,"aa":{"b":[1,2]}}""", Encoding.UTF8.GetString(c.ToUtf8Bytes()));
    }

    [Fact]
    public void As_ReadsTheTypedViewThroughSourceGeneration()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Read("Spec/conf-0.3.1.conf"));
        BridgeView view = c.As(TestJsonContext.Default.BridgeView);
        Assert.Equal(("cni0", true, true, "host-local"), (view.Bridge, view.IsGateway, view.IpMasq, view.Ipam!.Type));
    }

    [Fact]
    public void As_WrongType_ThrowsInvalidNetworkConfigNamingThePath()
    {
        PluginConfig c = PluginConfig.Parse(SpecTestData.Utf8("""{"type":"bridge","isGateway":"yes"}"""));
        var e = Assert.Throws<CniException>(() => c.As(TestJsonContext.Default.BridgeView));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains("isGateway", e.Message, StringComparison.Ordinal);
    }
}

internal sealed class BridgeView
{
    [JsonPropertyName("bridge")]
    public string? Bridge { get; set; }

    [JsonPropertyName("isGateway")]
    public bool IsGateway { get; set; }

    [JsonPropertyName("ipMasq")]
    public bool IpMasq { get; set; }

    [JsonPropertyName("ipam")]
    public IpamView? Ipam { get; set; }
}

internal sealed class IpamView
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }
}

[JsonSerializable(typeof(BridgeView))]
internal sealed partial class TestJsonContext : JsonSerializerContext
{
}
