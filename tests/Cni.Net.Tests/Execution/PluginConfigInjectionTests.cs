using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Execution;

/// <summary>
/// The config each plugin of a chain receives is written straight from the list's config and the previous result; it
/// must be byte for byte what injecting into a copy of the config tree and printing it gives (<see cref="Injected"/>,
/// the executor's former way, kept here as the reference).
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

        Assert.Equal(Injected(list.Plugins[0], "net", negotiated, prev, args, null), Encoding.UTF8.GetString(written));
        JsonObject sent = JsonNode.Parse(written)!.AsObject();
        Assert.Equal("net", (string?)sent["name"]);
        Assert.Equal(version, (string?)sent["cniVersion"]);
    }

    [Fact]
    public void GCConfig_CarriesTheValidAttachmentsUnderBothNames_Last()
    {
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes("""
            {"cniVersion":"1.1.0","name":"net","plugins":[{"type":"bridge","cni.dev/attachments":"stale","z":1}]}
            """));
        CniAttachmentId[] valid = [new("c1", "eth0"), new("c\"2", "net1")];

        string written = Encoding.UTF8.GetString(CniChainExecutor.BuildPluginConfig(list.Plugins[0], "net", CniVersion.V1_1_0, null, null, valid));

        Assert.Equal(Injected(list.Plugins[0], "net", CniVersion.V1_1_0, null, null, valid), written);
        Assert.Equal("""{"type":"bridge","z":1,"name":"net","cniVersion":"1.1.0","cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"},{"containerID":"c\u00222","ifname":"net1"}],"cni.dev/attachments":[{"containerID":"c1","ifname":"eth0"},{"containerID":"c\u00222","ifname":"net1"}]}""",
            written);
    }

    /// <summary>libcni's injection done on a tree: each injected key set under its one spelling, appended.</summary>
    private static string Injected(PluginConfig plugin, string name, CniVersion version, CniResult? prevResult, JsonObject? capabilityArgs,
        CniAttachmentId[]? valid)
    {
        var json = (JsonObject)plugin.Json.DeepClone();
        CniJsonKeys.SetProperty(json, "name", name);
        CniJsonKeys.SetProperty(json, "cniVersion", version.ToString());
        if (prevResult is not null)
        {
            CniJsonKeys.SetProperty(json, "prevResult", (prevResult.CniVersion == version ? prevResult : prevResult.ConvertTo(version)).ToJsonNode());
        }
        var runtimeConfig = new JsonObject();
        foreach (var (capability, enabled) in plugin.Capabilities)
        {
            if (enabled && capabilityArgs is not null && capabilityArgs.TryGetPropertyValue(capability, out JsonNode? value))
            {
                runtimeConfig[capability] = value?.DeepClone();
            }
        }
        if (runtimeConfig.Count > 0)
        {
            CniJsonKeys.SetProperty(json, "runtimeConfig", runtimeConfig);
        }
        if (valid is not null)
        {
            foreach (string key in (string[])["cni.dev/valid-attachments", "cni.dev/attachments"])
            {
                json.Remove(key);
                json[key] = new JsonArray([.. valid.Select(a => (JsonNode)new JsonObject { ["containerID"] = a.ContainerId, ["ifname"] = a.IfName })]);
            }
        }
        return json.ToJsonString();
    }
}
