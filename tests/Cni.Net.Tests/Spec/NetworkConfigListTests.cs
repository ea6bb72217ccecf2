using System.Text;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class NetworkConfigListTests
{
    [Fact]
    public void Parse_SpecExample_ReadsEverything()
    {
        byte[] json = SpecTestData.Read("Spec/conflist-1.1.0.json");
        NetworkConfigList list = NetworkConfigList.Parse(json);
        Assert.Equal("dbnet", list.Name);
        Assert.Equal(CniVersion.V1_1_0, list.CniVersion);
        Assert.Equal([CniVersion.V0_3_1, CniVersion.V1_0_0, CniVersion.V1_1_0], list.CniVersions);
        Assert.False(list.DisableCheck);
        Assert.False(list.DisableGC);
        Assert.False(list.LoadOnlyInlinedPlugins);
        Assert.Equal(["bridge", "tuning", "portmap"], list.Plugins.Select(p => p.Type));
        Assert.True(list.Plugins[2].Capabilities["portMappings"]);
        Assert.Equal(json, list.Bytes.ToArray());
        Assert.Equal(SpecTestData.Compact(json), list.Json.ToJsonString());
        Assert.Equal(SpecTestData.Compact("""{"type":"tuning","capabilities":{"mac":true},"sysctl":{"net.core.somaxconn":"500"}}"""),
            Encoding.UTF8.GetString(list.Plugins[1].ToUtf8Bytes()));
    }

    [Fact]
    public void Parse_PodmanStyle040_StringDisableCheck()
    {
        byte[] json = SpecTestData.Read("Spec/conflist-0.4.0.json");
        NetworkConfigList list = NetworkConfigList.Parse(json);
        Assert.True(list.DisableCheck);
        Assert.Equal(CniVersion.V0_4_0, list.NegotiateVersion());
        Assert.Equal(["bridge", "portmap", "firewall", "tuning"], list.Plugins.Select(p => p.Type));
        Assert.Equal(SpecTestData.Compact(json), list.Json.ToJsonString());
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("\"true\"", true)]
    [InlineData("\"TRUE\"", true)]
    [InlineData("\"False\"", false)]
    public void Parse_Flags_AcceptBooleansAndLibcniStrings(string value, bool expected)
    {
        NetworkConfigList list = NetworkConfigList.Parse(SpecTestData.Utf8(
            $$"""{"name":"n","disableCheck":{{value}},"disableGC":{{value}},"loadOnlyInlinedPlugins":{{value}},"plugins":[{"type":"x"}]}"""));
        Assert.Equal((expected, expected, expected), (list.DisableCheck, list.DisableGC, list.LoadOnlyInlinedPlugins));
    }

    [Theory]
    [InlineData("disableCheck", "\"yes\"")]
    [InlineData("disableGC", "1")]
    [InlineData("loadOnlyInlinedPlugins", "[]")]
    public void Parse_BadFlag_ThrowsInvalidNetworkConfigNamingIt(string key, string value)
    {
        var e = Assert.Throws<CniException>(() => NetworkConfigList.Parse(SpecTestData.Utf8(
            $$"""{"name":"n","{{key}}":{{value}},"plugins":[{"type":"x"}]}""")));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith(key + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsedList_ReadConcurrently_GivesTheSameRequests()
    {
        byte[] json = SpecTestData.Read("Spec/conflist-1.1.0.json");
        for (int round = 0; round < 20; round++)
        {
            NetworkConfigList list = NetworkConfigList.Parse(json);
            var outputs = new string[64];
            Parallel.For(0, outputs.Length, i =>
            {
                PluginConfig request = list.Plugins[i % 3].Clone();
                request.Name = list.Name;
                outputs[i] = Encoding.UTF8.GetString(request.ToUtf8Bytes()) + request.Ipam?.ToJsonString() + request.Capabilities.Count;
            });
            for (int i = 3; i < outputs.Length; i++)
            {
                Assert.Equal(outputs[i % 3], outputs[i]);
            }
        }
    }

    [Fact]
    public void Parse_NoVersion_MeansV010()
    {
        NetworkConfigList list = NetworkConfigList.Parse(SpecTestData.Utf8("""{"name":"n","plugins":[{"type":"x"}]}"""));
        Assert.Equal(CniVersion.V0_1_0, list.CniVersion);
        Assert.Equal(CniVersion.V0_1_0, list.NegotiateVersion());
    }

    [Theory]
    [InlineData("""{"name":"n","cniVersion":"1.0.0","cniVersions":["0.4.0","1.1.0","9.9.9"],"plugins":[{"type":"x"}]}""", "1.1.0")]
    [InlineData("""{"name":"n","cniVersion":"1.2.0","cniVersions":["0.4.0"],"plugins":[{"type":"x"}]}""", "0.4.0")]
    [InlineData("""{"name":"n","cniVersion":"0.3.1","plugins":[{"type":"x"}]}""", "0.3.1")]
    public void NegotiateVersion_PicksHighestSupported(string json, string expected)
    {
        Assert.Equal(expected, NetworkConfigList.Parse(SpecTestData.Utf8(json)).NegotiateVersion().ToString());
    }

    [Fact]
    public void NegotiateVersion_NoneSupported_ThrowsIncompatibleVersion()
    {
        NetworkConfigList list = NetworkConfigList.Parse(SpecTestData.Utf8(
            """{"name":"n","cniVersion":"2.0.0","cniVersions":["1.5.0"],"plugins":[{"type":"x"}]}"""));
        var e = Assert.Throws<CniException>(() => list.NegotiateVersion());
        Assert.Equal(CniErrorCode.IncompatibleVersion, e.Code);
        Assert.Contains("2.0.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoPlugins_AllowedForDropIns_ButNotWithLoadOnlyInlined()
    {
        Assert.Empty(NetworkConfigList.Parse(SpecTestData.Utf8("""{"name":"n"}""")).Plugins);
        var e = Assert.Throws<CniException>(() =>
            NetworkConfigList.Parse(SpecTestData.Utf8("""{"name":"n","loadOnlyInlinedPlugins":true}""")));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith("plugins:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPluginConfig_LiftsAConfAsLibcniDoes()
    {
        PluginConfig conf = PluginConfig.Parse(SpecTestData.Read("Spec/conf-0.3.1.conf"));
        NetworkConfigList list = NetworkConfigList.FromPluginConfig(conf);
        Assert.Equal("mynet", list.Name);
        Assert.Equal(CniVersion.V0_3_1, list.CniVersion);
        PluginConfig only = Assert.Single(list.Plugins);
        Assert.Equal("bridge", only.Type);
        Assert.Equal(
            "{\"cniVersion\":\"0.3.1\",\"name\":\"mynet\",\"plugins\":[" + SpecTestData.Compact(SpecTestData.Read("Spec/conf-0.3.1.conf")) + "]}",
            Encoding.UTF8.GetString(list.Bytes.Span));
    }

    [Fact]
    public void FromPluginConfig_WithoutName_ThrowsNamingName()
    {
        var e = Assert.Throws<CniException>(() => NetworkConfigList.FromPluginConfig(PluginConfig.Parse(SpecTestData.Utf8("""{"type":"x"}"""))));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith("name:", e.Message, StringComparison.Ordinal);
    }
}
