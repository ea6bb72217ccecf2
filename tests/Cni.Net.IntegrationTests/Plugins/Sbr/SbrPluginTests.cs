using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Plugins.Sbr;

/// <summary>Our published sbr run directly on a pod interface, beside the reference sbr of /usr/lib/cni.</summary>
public sealed class SbrPluginTests : IDisposable
{
    private readonly PluginTestNode _node = new(("sbr", PluginTestNode.Ours("sbr")));
    private readonly TestNamespace _pod = new("sbrpod");

    public SbrPluginTests()
    {
        Shell.Check("ip", "-n", _pod.Name, "link", "add", "net1", "type", "veth", "peer", "name", "peer1");
        Shell.Check("ip", "-n", _pod.Name, "link", "set", "net1", "up");
        Shell.Check("ip", "-n", _pod.Name, "link", "set", "peer1", "up");
        Shell.Check("ip", "-n", _pod.Name, "addr", "add", "10.83.0.5/24", "dev", "net1");
        Shell.Check("ip", "-n", _pod.Name, "route", "add", "10.98.0.0/16", "via", "10.83.0.1", "dev", "net1");
    }

    public void Dispose()
    {
        _pod.Dispose();
        _node.Dispose();
    }

    private string Config(string keys = "", bool prev = true)
    {
        var c = JsonNode.Parse($"{{\"cniVersion\":\"1.0.0\",\"name\":\"sbrnet\",\"type\":\"sbr\"{keys}}}")!.AsObject();
        if (prev)
        {
            c["prevResult"] = JsonNode.Parse($$$"""{"cniVersion":"1.0.0","interfaces":[{"name":"net1","sandbox":"{{{_pod.Path}}}"}],"ips":[{"address":"10.83.0.5/24","gateway":"10.83.0.1","interface":0}]}""");
        }
        return c.ToJsonString();
    }

    private Shell.Output Run(string which, string command, string stdin) =>
        _node.Exec(which == "ours" ? PluginTestNode.Ours("sbr") : PluginTestNode.Reference("sbr"), command, stdin, "ctr-sbr-1", _pod.Path, "net1");

    [Fact]
    public void Add_MovesTheInterfaceRoutesToTable100_DelRemovesTheRule()
    {
        Shell.Output add = Run("ours", "ADD", Config());
        Assert.True(add.ExitCode == 0, add.StdOut + add.StdErr);
        Assert.Contains("from 10.83.0.5 lookup 100", _pod.ExecCheck("ip", "rule"), StringComparison.Ordinal);
        string table = _pod.ExecCheck("ip", "route", "show", "table", "100");
        Assert.Contains("default via 10.83.0.1 dev net1", table, StringComparison.Ordinal);
        Assert.Contains("10.83.0.0/24 dev net1 proto kernel scope link src 10.83.0.5", table, StringComparison.Ordinal);
        Assert.Contains("10.98.0.0/16 via 10.83.0.1 dev net1", table, StringComparison.Ordinal);
        Assert.DoesNotContain("net1", _pod.ExecCheck("ip", "route", "show", "table", "main"), StringComparison.Ordinal);
        Assert.Equal(0, Run("ours", "CHECK", Config()).ExitCode);
        // The reference sbr (1.1.1) sees the same layout as its own: its DEL removes our rule; ours then finds nothing.
        Assert.Equal(0, Run("reference", "DEL", Config()).ExitCode);
        Assert.DoesNotContain("lookup 100", _pod.ExecCheck("ip", "rule"), StringComparison.Ordinal);
        Assert.Equal(0, Run("ours", "DEL", Config()).ExitCode);
    }

    [Fact]
    public void FixedTable_AddsOnlyTheRule()
    {
        Assert.Equal(0, Run("ours", "ADD", Config(",\"table\":200")).ExitCode);
        Assert.Contains("from 10.83.0.5 lookup 200", _pod.ExecCheck("ip", "rule"), StringComparison.Ordinal);
        Assert.Contains("10.98.0.0/16 via 10.83.0.1 dev net1", _pod.ExecCheck("ip", "route", "show", "table", "main"), StringComparison.Ordinal);
        Assert.Equal(0, Run("ours", "DEL", Config(",\"table\":200")).ExitCode);
        Assert.DoesNotContain("lookup 200", _pod.ExecCheck("ip", "rule"), StringComparison.Ordinal);
    }

    [Fact]
    public void BadInput_NoPrevResult_Code7_Version_AllVersions()
    {
        Shell.Output r = Run("ours", "ADD", Config(prev: false));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(7u, PluginTestNode.ParseError(r.StdOut).GetProperty("code").GetUInt32());
        Assert.Contains("chained plugin", r.StdOut, StringComparison.Ordinal);
        Shell.Output v = Run("ours", "VERSION", "{\"cniVersion\":\"1.1.0\"}");
        using JsonDocument doc = JsonDocument.Parse(v.StdOut);
        Assert.Contains("0.1.0", doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(x => x.GetString()));
    }
}
