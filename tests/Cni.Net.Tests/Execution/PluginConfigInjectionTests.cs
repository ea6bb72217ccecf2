using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Execution;

/// <summary>
/// The config each plugin of a chain receives is written straight from the list's config and the previous result; it
/// must be byte for byte what injecting into a copy of the config tree and printing it gives.
/// </summary>
public sealed class PluginConfigInjectionTests
{
    private const string Result040 = """
        {"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","sandbox":"/run/netns/p"}],
         "ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.0.0.10"]}}
        """;

    private const string Result110 = """
        {"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","mtu":1400,"sandbox":"/run/netns/p","socketPath":"/s"}],
         "ips":[{"interface":0,"address":"fd00::2/64","gateway":"fd00::1"}],"routes":[{"dst":"::/0","priority":5,"table":100}]}
        """;

    public static TheoryData<string, string, string?, string?> Inputs => new()
    {
        // plugin config, negotiated version, previous result, capability arguments
        { """{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.0.0.0/24"}}""", "1.0.0", null, null },
        { """{"type":"portmap","capabilities":{"portMappings":true,"ipRanges":false}}""", "1.0.0", Result040,
          """{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"ipRanges":[[{"subnet":"10.0.0.0/24"}]]}""" },
        // A config that already has the injected keys, some Go-cased: each replaced at the end, one spelling left.
        { """{"Name":"stale","type":"bandwidth","cniVersion":"0.3.1","prevResult":{"cniVersion":"0.3.1"},"runtimeConfig":{"x":1},"capabilities":{"bandwidth":true},"n":null}""",
          "1.1.0", Result110, """{"bandwidth":{"ingressRate":1000,"ingressBurst":10},"other":true}""" },
        // A runtimeConfig of the config stays where it is when no capability argument replaces it; so does prevResult.
        { """{"type":"tuning","runtimeConfig":{"mac":"aa"},"prevResult":{"cniVersion":"1.0.0"},"capabilities":{"mac":true}}""", "1.0.0", null,
          """{"bandwidth":{}}""" },
        // A result of another version is converted to the list's; strings that need escaping stay escaped alike.
        { """{"type":"x\u00e9","desc":"a \"quoted\" <b>&</b>","capabilities":{"portMappings":true}}""", "0.4.0", Result110,
          """{"portMappings":[]}""" },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void WrittenConfig_EqualsTheInjectedTreePrinted(string pluginJson, string version, string? previous, string? capabilityArgs)
    {
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(
            $$"""{"cniVersion":"{{version}}","name":"net","plugins":[{{pluginJson}}]}"""));
        CniResult? prev = previous is null ? null : CniResult.Parse(Encoding.UTF8.GetBytes(previous));
        CniVersion negotiated = list.NegotiateVersion();
        JsonObject? args = capabilityArgs is null ? null : JsonNode.Parse(capabilityArgs)!.AsObject();

        byte[] written = CniChainExecutor.BuildPluginConfig(list.Plugins[0], "net", negotiated, prev, args);
        byte[] tree = CniChainExecutor.BuildPluginConfigNode(list.Plugins[0], "net", negotiated, prev, args, extra: null);

        Assert.Equal(Encoding.UTF8.GetString(tree), Encoding.UTF8.GetString(written));
        JsonObject sent = JsonNode.Parse(written)!.AsObject();
        Assert.Equal("net", (string?)sent["name"]);
        Assert.Equal(version, (string?)sent["cniVersion"]);
    }
}
