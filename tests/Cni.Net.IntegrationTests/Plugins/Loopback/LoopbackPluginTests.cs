using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Loopback;

/// <summary>Our published loopback plugin against the reference one, run as a runtime execs them.</summary>
public class LoopbackPluginTests
{
    private const string Config = """{"cniVersion":"1.0.0","name":"cni-loopback","type":"loopback"}""";

    private static Shell.Output Run(string binary, string command, string? netNs, string config = Config)
    {
        using var node = new PluginTestNode();
        return node.Exec(binary, command, config, "ctr-lo", netNs, "lo");
    }

    private static bool LoUp(TestNamespace ns) =>
        ns.IpJson("link", "show", "lo")[0].GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP");

    [Fact]
    public void Add_BringsLoUp_AndAnswersExactlyAsTheReference()
    {
        using var ours = new TestNamespace("lo");
        using var reference = new TestNamespace("lo");
        Shell.Check("ip", "-n", ours.Name, "link", "set", "lo", "down");
        Shell.Check("ip", "-n", reference.Name, "link", "set", "lo", "down");

        Shell.Output o = Run(PluginTestNode.Ours("loopback"), "ADD", ours.Path);
        Shell.Output r = Run(PluginTestNode.Reference("loopback"), "ADD", reference.Path);

        Assert.Equal(0, o.ExitCode);
        Assert.True(LoUp(ours));
        Assert.Equal(0, ours.Exec("ping", "-c", "1", "-W", "2", "127.0.0.1").ExitCode);
        JsonNode ourResult = JsonNode.Parse(o.StdOut)!;
        JsonNode referenceResult = JsonNode.Parse(r.StdOut)!;
        Assert.Equal(ours.Path, ourResult["interfaces"]![0]!["sandbox"]!.GetValue<string>());
        ourResult["interfaces"]![0]!["sandbox"] = "X";
        referenceResult["interfaces"]![0]!["sandbox"] = "X";
        // The Go types print an empty "dns":{} where there is no DNS; an absent key says the same.
        referenceResult.AsObject().Remove("dns");
        Assert.True(JsonNode.DeepEquals(referenceResult, ourResult), $"ours {ourResult.ToJsonString()} reference {referenceResult.ToJsonString()}");
    }

    [Fact]
    public void Add_InAChain_PassesPrevResultThrough()
    {
        using var ns = new TestNamespace("lo");
        const string Prev = """{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/x"}],"ips":[{"address":"10.1.1.2/24","interface":0}]}""";
        string config = Config.TrimEnd('}') + ",\"prevResult\":" + Prev + "}";
        Shell.Output o = Run(PluginTestNode.Ours("loopback"), "ADD", ns.Path, config);
        Assert.Equal(0, o.ExitCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Prev), JsonNode.Parse(o.StdOut)), o.StdOut);
    }

    [Fact]
    public void Del_BringsLoDown_ThenCheckFails_AndDelToleratesAMissingOrEmptyNetns()
    {
        using var ns = new TestNamespace("lo");
        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "ADD", ns.Path).ExitCode);
        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "CHECK", ns.Path).ExitCode);

        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "DEL", ns.Path).ExitCode);
        Assert.False(LoUp(ns));
        Shell.Output check = Run(PluginTestNode.Ours("loopback"), "CHECK", ns.Path);
        Assert.Equal(1, check.ExitCode);
        using (JsonDocument error = JsonDocument.Parse(check.StdOut))
        {
            Assert.Equal(100, error.RootElement.GetProperty("code").GetInt32());
            Assert.Equal("loopback interface is down", error.RootElement.GetProperty("msg").GetString());
        }

        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "DEL", "/run/netns/cnt-lo-gone").ExitCode);
        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "DEL", null).ExitCode);
    }

    [Fact]
    public void Add_MissingNetns_Code3()
    {
        Shell.Output o = Run(PluginTestNode.Ours("loopback"), "ADD", "/run/netns/cnt-lo-gone");
        Assert.Equal(1, o.ExitCode);
        using JsonDocument error = JsonDocument.Parse(o.StdOut);
        Assert.Equal(3, error.RootElement.GetProperty("code").GetInt32());
        Assert.Contains("cnt-lo-gone", error.RootElement.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ReferenceAdd_OurDel_AndOurAdd_ReferenceCheckAndDel()
    {
        using var ns = new TestNamespace("lo");
        Assert.Equal(0, Run(PluginTestNode.Reference("loopback"), "ADD", ns.Path).ExitCode);
        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "DEL", ns.Path).ExitCode);
        Assert.False(LoUp(ns));
        Assert.Equal(0, Run(PluginTestNode.Ours("loopback"), "ADD", ns.Path).ExitCode);
        Assert.Equal(0, Run(PluginTestNode.Reference("loopback"), "CHECK", ns.Path).ExitCode);
        Assert.Equal(0, Run(PluginTestNode.Reference("loopback"), "DEL", ns.Path).ExitCode);
        Assert.False(LoUp(ns));
    }
}
