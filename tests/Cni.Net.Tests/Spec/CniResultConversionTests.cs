using System.Text;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

/// <summary>Conversion between every pair of versions, starting from the 1.1.0 example with everything set.</summary>
public class CniResultConversionTests
{
    private const string Dns =
        "'dns':{'nameservers':['10.1.0.1'],'domain':'example.com','search':['example.com','svc.example.com'],'options':['ndots:5']}";

    // What survives depends on the poorest format the result went through.
    private enum Level
    {
        Legacy, // 0.1.0/0.2.0: first IPv4 + first IPv6, routes of those families, no interfaces
        NoV11,  // 0.3.0 … 1.0.0: no interface mtu/socketPath/pciID, no route mtu/advmss/priority/table/scope
        Full,   // 1.1.0
    }

    private static Level LevelOf(CniVersion v) =>
        v < CniVersion.V0_3_0 ? Level.Legacy : v < CniVersion.V1_1_0 ? Level.NoV11 : Level.Full;

    private static string Expected(Level level, CniVersion target)
    {
        string head = $"{{'cniVersion':'{target}',";
        string json;
        if (target < CniVersion.V0_3_0)
        {
            json = head +
                "'ip4':{'ip':'10.1.0.5/16','gateway':'10.1.0.1','routes':[{'dst':'0.0.0.0/0','gw':'10.1.0.1'},{'dst':'192.168.0.0/16'}]}," +
                "'ip6':{'ip':'2001:db8::5/64','gateway':'2001:db8::1','routes':[{'dst':'::/0','gw':'2001:db8::1'}]}," +
                Dns + "}";
            return json.Replace('\'', '"');
        }
        string v4 = target < CniVersion.V1_0_0 ? "'version':'4'," : "";
        string v6 = target < CniVersion.V1_0_0 ? "'version':'6'," : "";
        if (level == Level.Legacy)
        {
            json = head +
                $"'ips':[{{{v4}'address':'10.1.0.5/16','gateway':'10.1.0.1'}},{{{v6}'address':'2001:db8::5/64','gateway':'2001:db8::1'}}]," +
                "'routes':[{'dst':'0.0.0.0/0','gw':'10.1.0.1'},{'dst':'192.168.0.0/16'},{'dst':'::/0','gw':'2001:db8::1'}]," +
                Dns + "}";
            return json.Replace('\'', '"');
        }
        string eth0Extra1 = level == Level.Full ? "'mtu':1450," : "";
        string eth0Extra2 = level == Level.Full ? ",'socketPath':'/run/vhost/sock0','pciID':'0000:03:00.1'" : "";
        string routeExtra = level == Level.Full ? ",'mtu':1400,'advmss':1360,'priority':100,'table':254,'scope':0" : "";
        json = head +
            "'interfaces':[{'name':'cni0','mac':'00:11:22:33:44:55'},{'name':'veth3243','mac':'55:44:33:22:11:11'}," +
            $"{{'name':'eth0','mac':'00:11:22:33:44:66',{eth0Extra1}'sandbox':'/var/run/netns/blue'{eth0Extra2}}}]," +
            $"'ips':[{{{v4}'interface':2,'address':'10.1.0.5/16','gateway':'10.1.0.1'}},{{{v4}'interface':2,'address':'10.1.0.6/16'}}," +
            $"{{{v6}'interface':2,'address':'2001:db8::5/64','gateway':'2001:db8::1'}}]," +
            $"'routes':[{{'dst':'0.0.0.0/0','gw':'10.1.0.1'{routeExtra}}},{{'dst':'192.168.0.0/16'}},{{'dst':'::/0','gw':'2001:db8::1'}}]," +
            Dns + "}";
        return json.Replace('\'', '"');
    }

    public static TheoryData<string, string> VersionPairs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (CniVersion from in CniVersion.Supported)
            {
                foreach (CniVersion to in CniVersion.Supported)
                {
                    data.Add(from.ToString(), to.ToString());
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(VersionPairs))]
    public void ConvertTo_EveryPair_KeepsWhatBothVersionsCanCarry(string fromText, string toText)
    {
        CniVersion from = CniVersion.Parse(fromText);
        CniVersion to = CniVersion.Parse(toText);
        CniResult source = CniResult.Parse(SpecTestData.Read("Spec/result-1.1.0.json")).ConvertTo(from);
        // Through the wire, as a runtime would receive it.
        CniResult received = CniResult.Parse(source.ToUtf8Bytes());

        CniResult converted = received.ConvertTo(to);

        Level level = (Level)Math.Min((int)LevelOf(from), (int)LevelOf(to));
        Assert.Equal(to, converted.CniVersion);
        Assert.Equal(Expected(level, to), Encoding.UTF8.GetString(converted.ToUtf8Bytes()));
    }

    [Fact]
    public void ConvertTo_LeavesSourceUnchanged()
    {
        CniResult r = CniResult.Parse(SpecTestData.Read("Spec/result-1.1.0.json"));
        string before = Encoding.UTF8.GetString(r.ToUtf8Bytes());
        r.ConvertTo(CniVersion.V0_2_0);
        r.ConvertTo(CniVersion.V1_0_0);
        Assert.Equal(before, Encoding.UTF8.GetString(r.ToUtf8Bytes()));
    }

    [Theory]
    [InlineData("0.1.0")]
    [InlineData("0.2.0")]
    public void ConvertTo_Legacy_WithoutAddresses_ThrowsIncompatibleVersion(string target)
    {
        var r = new CniResult(CniVersion.V1_0_0);
        r.Interfaces.Add(new CniInterface { Name = "eth0" });
        var e = Assert.Throws<CniException>(() => r.ConvertTo(CniVersion.Parse(target)));
        Assert.Equal(CniErrorCode.IncompatibleVersion, e.Code);
        Assert.Contains("no IP addresses", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvertTo_Legacy_IPv6Only_KeepsIp6AndItsRoutesOnly()
    {
        var r = new CniResult(CniVersion.V1_0_0);
        r.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("fd00::2/64") });
        r.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("fd00::3/64") });
        r.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("0.0.0.0/0") });
        r.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("::/0"), Gateway = System.Net.IPAddress.Parse("fd00::1") });
        Assert.Equal("""{"cniVersion":"0.2.0","ip6":{"ip":"fd00::2/64","routes":[{"dst":"::/0","gw":"fd00::1"}]}}""",
            Encoding.UTF8.GetString(r.ConvertTo(CniVersion.V0_2_0).ToUtf8Bytes()));
    }

    [Theory]
    [InlineData("1.2.0")]
    [InlineData("0.5.0")]
    [InlineData("2.0.0")]
    public void ConvertTo_UnsupportedVersion_ThrowsIncompatibleVersion(string target)
    {
        CniResult r = CniResult.Parse(SpecTestData.Read("Spec/result-1.0.0.json"));
        var e = Assert.Throws<CniException>(() => r.ConvertTo(CniVersion.Parse(target)));
        Assert.Equal(CniErrorCode.IncompatibleVersion, e.Code);
        Assert.Contains(target, e.Message, StringComparison.Ordinal);
    }
}
