using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.StaticIpam;

/// <summary>Our published static IPAM plugin run as a runtime (or a main plugin) runs it, compared with the reference's answers.</summary>
public class StaticPluginTests
{
    private const string Ipam =
        "\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.81.0.5/24\",\"gateway\":\"10.81.0.1\"},{\"address\":\"fd81::5/64\"}]," +
        "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.168.0.0/16\",\"gw\":\"10.81.0.254\"}],\"dns\":{\"nameservers\":[\"10.81.0.53\"],\"domain\":\"example.test\",\"search\":[\"example.test\"]}}";

    private static string Config(string version = "1.0.0", string extra = "", string ipam = Ipam) =>
        $"{{\"cniVersion\":\"{version}\",\"name\":\"stnet\",\"type\":\"macvlan\"{extra},{ipam}}}";

    private static Shell.Output Run(PluginTestNode node, string which, string command, string stdin, string args = "") =>
        Shell.Run("env", ["CNI_ARGS=" + args, "CNI_COMMAND=" + command, "CNI_CONTAINERID=ctr-st-1", "CNI_NETNS=/run/netns/x", "CNI_IFNAME=net1",
            "CNI_PATH=" + node.BinDirectory, which == "ours" ? PluginTestNode.Ours("static") : PluginTestNode.Reference("static")], stdin);

    private static PluginTestNode Node() => new(("static", PluginTestNode.Ours("static")));

    private static string Normalized(string json) => JsonNode.Parse(json)!.ToJsonString();

    [Theory]
    [InlineData("1.0.0", "", "")]
    [InlineData("0.4.0", "", "")]
    [InlineData("0.3.1", "", "IgnoreUnknown=1;IP=10.81.1.7/24,fd81:1::7/64;GATEWAY=10.81.1.1")]
    [InlineData("1.0.0", ",\"runtimeConfig\":{\"ips\":[\"10.81.2.9/24\"]}", "")]
    [InlineData("1.0.0", ",\"args\":{\"cni\":{\"ips\":[\"10.81.3.9/24\"]}}", "")]
    public void Add_AnswersAsTheReference(string version, string extra, string args)
    {
        using PluginTestNode node = Node();
        Shell.Output reference = Run(node, "reference", "ADD", Config(version, extra), args);
        Shell.Output ours = Run(node, "ours", "ADD", Config(version, extra), args);
        Assert.True(reference.ExitCode == 0, reference.StdOut);
        Assert.True(ours.ExitCode == 0, ours.StdOut + ours.StdErr);
        Assert.Equal(Normalized(reference.StdOut), Normalized(ours.StdOut));
    }

    [Fact]
    public void CheckAndDel_AgreeWithTheResult_AndNoticeAnotherGateway()
    {
        using PluginTestNode node = Node();
        Shell.Output add = Run(node, "ours", "ADD", Config());
        var config = JsonNode.Parse(Config())!.AsObject();
        config["prevResult"] = JsonNode.Parse(add.StdOut);
        Assert.Equal(0, Run(node, "ours", "CHECK", config.ToJsonString()).ExitCode);
        Assert.Equal(0, Run(node, "reference", "CHECK", config.ToJsonString()).ExitCode);
        config["prevResult"]!["ips"]![0]!["gateway"] = "10.81.0.2";
        Shell.Output check = Run(node, "ours", "CHECK", config.ToJsonString());
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("Failed to match addr 10.81.0.5", check.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, Run(node, "ours", "DEL", Config()).ExitCode);
    }

    [Fact]
    public void Version_ReportsEverySpecVersion()
    {
        using PluginTestNode node = Node();
        Shell.Output r = Run(node, "ours", "VERSION", "{\"cniVersion\":\"1.1.0\"}");
        Assert.Equal(0, r.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        Assert.Contains("0.2.0", doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
    }

    [Theory]
    [InlineData("\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.81.0.5\"}]}", "", "CIDR notation")]
    [InlineData("\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.81.0.5/24\",\"gateway\":\"nope\"}]}", "", "gateway")]
    [InlineData("\"ipam\":{\"type\":\"static\",\"routes\":[{\"dst\":\"banana\"}]}", "", "routes")]
    [InlineData("\"ipam\":{\"type\":\"static\"}", "IgnoreUnknown=1;IP=10.1.1.1", "CIDR notation")]
    [InlineData("\"ipam\":{\"type\":\"static\"}", "IgnoreUnknown=1;IP=10.1.1.1/24;GATEWAY=x.y", "invalid gateway address")]
    [InlineData("\"noipam\":1", "", "'ipam'")]
    public void BadInput_IsCode7(string ipam, string args, string messagePart)
    {
        using PluginTestNode node = Node();
        Shell.Output r = Run(node, "ours", "ADD", Config(ipam: ipam), args);
        Assert.Equal(1, r.ExitCode);
        JsonElement error = PluginTestNode.ParseError(r.StdOut);
        Assert.Equal(7u, error.GetProperty("code").GetUInt32());
        Assert.Contains(messagePart, error.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TwoAddressesOfAFamily_Version020_IsRefusedAsTheReference()
    {
        using PluginTestNode node = Node();
        string ipam = "\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.81.0.5/24\"},{\"address\":\"10.81.0.6/24\"}]}";
        Assert.NotEqual(0, Run(node, "reference", "ADD", Config("0.2.0", ipam: ipam)).ExitCode);
        Shell.Output r = Run(node, "ours", "ADD", Config("0.2.0", ipam: ipam));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not support more than 1 address per family", r.StdOut, StringComparison.Ordinal);
    }
}
