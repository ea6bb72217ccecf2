using Cni.Net.Dhcp;
using Cni.Net.Samples.Dhcp;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Dhcp;

/// <summary>The dhcp sample's pieces that need no daemon: option lists, Go durations, the result's shape.</summary>
public class DhcpSampleTests
{
    private static DhcpIpamSection Ipam(string json) =>
        DhcpConfig.ReadCniConfig(PluginConfig.Parse(System.Text.Encoding.UTF8.GetBytes($$"""{"cniVersion":"1.0.0","name":"n","type":"macvlan","ipam":{{json}}}""")).Json).Ipam!;

    [Fact]
    public void Apply_RequestAndProvide_AsTheReferencePreparesThem()
    {
        var options = new DhcpClientOptions();
        DhcpOptionList.Apply(Ipam("""{"type":"dhcp","request":[{"option":"121"},{"option":"routers"}],"provide":[{"option":"host-name","fromArg":"K8S_POD_NAME"},{"option":"60","value":"cni"}]}"""),
            "IgnoreUnknown=1;K8S_POD_NAME=web-0", options);
        Assert.Equal([121, 3, 1], options.ParameterRequestList);
        Assert.Equal([(DhcpOptionCode.HostName, "web-0"), (DhcpOptionCode.VendorClassIdentifier, "cni")],
            options.ExtraOptions.Select(o => (o.Code, System.Text.Encoding.UTF8.GetString(o.Value.Span))));

        var skip = new DhcpClientOptions();
        DhcpOptionList.Apply(Ipam("""{"type":"dhcp","request":[{"skipDefault":true},{"option":"6"}]}"""), null, skip);
        Assert.Equal([6], skip.ParameterRequestList);
    }

    [Theory]
    [InlineData("""{"type":"dhcp","request":[{"option":"no-such-option"}]}""", "Can not parse option \"no-such-option\"")]
    [InlineData("""{"type":"dhcp","provide":[{"option":"256","value":"x"}]}""", "Can not parse option \"256\"")]
    public void Apply_BadOption_IsCode7(string ipam, string message)
    {
        var e = Assert.Throws<CniException>(() => DhcpOptionList.Apply(Ipam(ipam), null, new DhcpClientOptions()));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SocketPath_DefaultsToTheReferences()
    {
        Assert.Equal("/run/cni/dhcp.sock", DhcpOptionList.SocketPath(new DhcpConfig { Ipam = Ipam("""{"type":"dhcp"}""") }));
        Assert.Equal("/tmp/d.sock", DhcpOptionList.SocketPath(new DhcpConfig { Ipam = Ipam("""{"type":"dhcp","daemonSocketPath":"/tmp/d.sock"}""") }));
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("250ms", 250)]
    [InlineData("0", 0)]
    public void GoDuration_ParsesGoSyntax(string text, double milliseconds)
        => Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DhcpDaemon.GoDuration(text));

    [Theory]
    [InlineData("10")]
    [InlineData("")]
    [InlineData("3d")]
    public void GoDuration_RefusesWhatGoRefuses(string text) => Assert.Throws<FormatException>(() => DhcpDaemon.GoDuration(text));

    [Fact]
    public void ClientId_IsTheReferences_CutTo254()
    {
        Assert.Equal("ctr/net/eth0", DhcpDaemonPlugin.ClientId("ctr", "net", "eth0"));
        Assert.Equal(254, DhcpDaemonPlugin.ClientId(new string('c', 300), "net", "eth0").Length);
    }
}
