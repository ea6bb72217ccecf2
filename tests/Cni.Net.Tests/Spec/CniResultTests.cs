using System.Net;
using System.Text;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniResultTests
{
    public static TheoryData<string> SpecResults =>
        ["result-0.1.0.json", "result-0.2.0.json", "result-0.3.0.json", "result-0.3.1.json", "result-0.4.0.json",
         "result-1.0.0.json", "result-1.1.0.json"];

    [Theory]
    [MemberData(nameof(SpecResults))]
    public void Parse_SpecExample_RoundTripsToEquivalentJson(string file)
    {
        byte[] json = SpecTestData.Read("Spec/" + file);
        CniResult result = CniResult.Parse(json);
        Assert.Equal(file["result-".Length..^".json".Length], result.CniVersion.ToString());
        SpecTestData.AssertJsonEquivalent(json, result.ToUtf8Bytes());
    }

    [Fact]
    public void Parse_Result110_ReadsEveryField()
    {
        CniResult r = CniResult.Parse(SpecTestData.Read("Spec/result-1.1.0.json"));
        Assert.Equal(3, r.Interfaces.Count);
        CniInterface eth0 = r.Interfaces[2];
        Assert.Equal(("eth0", "00:11:22:33:44:66", 1450, "/var/run/netns/blue", "/run/vhost/sock0", "0000:03:00.1"),
            (eth0.Name, eth0.Mac, eth0.Mtu, eth0.Sandbox, eth0.SocketPath, eth0.PciId));
        Assert.Equal(3, r.IPs.Count);
        Assert.Equal(IPAddress.Parse("10.1.0.5"), r.IPs[0].Address.Address);
        Assert.Equal(16, r.IPs[0].Address.PrefixLength);
        Assert.Equal(IPAddress.Parse("10.1.0.1"), r.IPs[0].Gateway);
        Assert.Equal(2, r.IPs[0].Interface);
        Assert.Null(r.IPs[1].Gateway);
        Assert.False(r.IPs[2].Address.IsIPv4);
        CniRoute def = r.Routes[0];
        Assert.Equal(("0.0.0.0/0", "10.1.0.1", 1400, 1360, 100, 254, 0),
            (def.Destination.ToString(), def.Gateway?.ToString(), def.Mtu, def.AdvMss, def.Priority, def.Table, def.Scope));
        Assert.NotNull(r.Dns);
        Assert.Equal(["10.1.0.1"], r.Dns.Nameservers);
        Assert.Equal("example.com", r.Dns.Domain);
        Assert.Equal(["example.com", "svc.example.com"], r.Dns.Search);
        Assert.Equal(["ndots:5"], r.Dns.Options);
    }

    [Fact]
    public void Parse_Result020_MapsIp4AndIp6IntoIpsAndRoutes()
    {
        CniResult r = CniResult.Parse(SpecTestData.Read("Spec/result-0.2.0.json"));
        Assert.Equal(CniVersion.V0_2_0, r.CniVersion);
        Assert.Equal(["10.10.0.5/16", "fd00:10::5/64"], r.IPs.Select(i => i.Address.ToString()));
        Assert.Equal(["10.10.0.1", "fd00:10::1"], r.IPs.Select(i => i.Gateway!.ToString()));
        Assert.Equal(["0.0.0.0/0", "172.16.0.0/12", "::/0"], r.Routes.Select(x => x.Destination.ToString()));
        Assert.Equal(IPAddress.Parse("10.10.0.254"), r.Routes[1].Gateway);
        Assert.Empty(r.Interfaces);
    }

    [Fact]
    public void Parse_MissingVersion_UsesGivenVersion()
    {
        byte[] json = SpecTestData.Utf8("""{"ips":[{"address":"10.0.0.2/24"}]}""");
        CniResult r = CniResult.Parse(json, CniVersion.V0_4_0);
        Assert.Equal(CniVersion.V0_4_0, r.CniVersion);
        Assert.Equal("""{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}]}""",
            Encoding.UTF8.GetString(r.ToUtf8Bytes()));
    }

    [Fact]
    public void Parse_MissingVersionAndNoFallback_ThrowsIncompatibleVersion()
    {
        var e = Assert.Throws<CniException>(() => CniResult.Parse(SpecTestData.Utf8("""{"ips":[]}""")));
        Assert.Equal(CniErrorCode.IncompatibleVersion, e.Code);
        Assert.Contains("cniVersion", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Legacy020WithoutVersion_UsesConfigVersion()
    {
        byte[] json = SpecTestData.Utf8("""{"ip4":{"ip":"10.0.0.2/24","gateway":"10.0.0.1"},"dns":{}}""");
        CniResult r = CniResult.Parse(json, CniVersion.V0_2_0);
        Assert.Equal("10.0.0.2/24", r.IPs.Single().Address.ToString());
        Assert.Equal("""{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24","gateway":"10.0.0.1"},"dns":{}}""",
            Encoding.UTF8.GetString(r.ToUtf8Bytes()));
    }

    [Fact]
    public void ToUtf8Bytes_OmitsAbsentOptionals()
    {
        var r = new CniResult(CniVersion.V1_0_0);
        r.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.0.0.2/24") });
        Assert.Equal("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}""", Encoding.UTF8.GetString(r.ToUtf8Bytes()));
    }

    [Fact]
    public void ToUtf8Bytes_Indented_UsesFourSpaces()
    {
        var r = new CniResult(CniVersion.V1_0_0) { Dns = new CniDns() };
        Assert.Equal("{\n    \"cniVersion\": \"1.0.0\",\n    \"dns\": {}\n}",
            Encoding.UTF8.GetString(r.ToUtf8Bytes(indented: true)).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ToJsonNode_GivesTheSameDocument()
    {
        CniResult r = CniResult.Parse(SpecTestData.Read("Spec/result-1.1.0.json"));
        Assert.Equal(Encoding.UTF8.GetString(r.ToUtf8Bytes()), r.ToJsonNode().ToJsonString());
    }

    [Fact]
    public void Parse_UnknownKeys_AreSkipped()
    {
        byte[] json = SpecTestData.Utf8(
            """{"cniVersion":"1.0.0","x":{"deep":[1,2,{"a":null}]},"ips":[{"address":"10.0.0.2/24","extra":true}],"y":1}""");
        CniResult r = CniResult.Parse(json);
        Assert.Equal("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}""", Encoding.UTF8.GetString(r.ToUtf8Bytes()));
    }

    [Fact]
    public void Clone_IsDeep()
    {
        CniResult r = CniResult.Parse(SpecTestData.Read("Spec/result-1.1.0.json"));
        CniResult c = r.Clone();
        c.Interfaces[0].Name = "changed";
        c.IPs.Clear();
        c.Dns!.Nameservers.Clear();
        Assert.Equal("cni0", r.Interfaces[0].Name);
        Assert.Equal(3, r.IPs.Count);
        Assert.Single(r.Dns!.Nameservers);
    }
}
