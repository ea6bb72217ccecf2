using System.Text;
using Cni.Net.Examples.Guides;
using Cni.Net.Examples.SpecModel;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Packaging;

/// <summary>The guides' snippets that need neither root nor the node's files, run as the guides show them.</summary>
public sealed class DocExampleRunTests
{
    private static readonly byte[] Conf = Encoding.UTF8.GetBytes(
        """{"cniVersion":"1.0.0","name":"pods","type":"bridge","bridge":"cni9","isGateway":true,"capabilities":{"portMappings":true}}""");

    [Fact]
    public void GettingStarted_Versions() => Assert.Equal((true, false), SpecModelExamples.Versions());

    [Fact]
    public void GettingStarted_LiftInjectAndTypedView()
    {
        NetworkConfigList list = SpecModelExamples.Lift(Conf);
        Assert.Equal("pods", list.Name);
        Assert.Equal("bridge", Assert.Single(list.Plugins).Type);

        CniResult previous = CniResult.Parse("""{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.5/16"}]}"""u8);
        PluginConfig sent = PluginConfig.Parse(SpecModelExamples.Inject(list, CniVersion.V1_0_0, previous));
        Assert.Equal("pods", sent.Name);
        Assert.Equal(8080, Assert.Single(sent.RuntimeConfig!.PortMappings!).HostPort);
        Assert.Equal("10.22.0.5/16", sent.PrevResult!.IPs[0].Address.ToString());

        Assert.Equal(("cni9", true), SpecModelExamples.TypedView(list.Plugins[0]));
    }

    [Fact]
    public void GettingStarted_ResultsAndErrors()
    {
        byte[] stdout = Encoding.UTF8.GetBytes("""{"ips":[{"address":"10.22.0.5/16","gateway":"10.22.0.1"}]}""");
        Assert.Equal("""{"cniVersion":"0.2.0","ip4":{"ip":"10.22.0.5/16","gateway":"10.22.0.1"}}""",
            Encoding.UTF8.GetString(SpecModelExamples.Results(stdout, CniVersion.V1_0_0)));

        TextWriter console = Console.Out;
        try
        {
            (CniException raised, string printed) = SpecModelExamples.Errors(
                Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","code":7,"msg":"bad"}"""), CniVersion.V1_0_0, new StringWriter());
            Assert.Equal((CniErrorCode.InvalidNetworkConfig, "bad"), (raised.Code, raised.Message));
            Assert.Equal(7, System.Text.Json.JsonDocument.Parse(printed).RootElement.GetProperty("code").GetInt32());
            Assert.Contains("mtu", printed, StringComparison.Ordinal);
        }
        finally
        {
            Console.SetOut(console);
        }
    }

    [Fact]
    public void NetfilterGuide_RuleModel_IsTheDnatRule() =>
        Assert.Equal("-d 192.0.2.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.88.0.2:80",
            NetfilterAndTcExamples.RuleModel().ToString());
}
