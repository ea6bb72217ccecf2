using Cni.Net.Netfilter;
using Cni.Net.Conventions;

namespace Cni.Net.Tests.Netfilter;

public class CniNamesTests
{
    [Fact]
    public void ContainerChain_CompatExample_MatchesReference()
    {
        Assert.Equal("CNI-252f4939ab2087ea53803952", CniNames.ContainerChain("demo", "ctr-abc123"));
    }

    [Fact]
    public void PortMapChain_CompatExample_MatchesReference()
    {
        Assert.Equal("CNI-DN-252f4939ab2087ea53803", CniNames.PortMapChain("demo", "ctr-abc123"));
    }

    [Fact]
    public void Comment_CompatExample_MatchesReference()
    {
        Assert.Equal("name: \"demo\" id: \"ctr-abc123\"", CniNames.Comment("demo", "ctr-abc123"));
        Assert.Equal("dnat name: \"demo\" id: \"ctr-abc123\"", CniNames.PortMapComment("demo", "ctr-abc123"));
    }

    [Fact]
    public void ContainerChain_IsAlways28Characters()
    {
        Assert.Equal(28, CniNames.ContainerChain("n", "").Length);
        Assert.Equal(28, CniNames.PortMapChain(new string('x', 300), "id").Length);
    }

    [Fact]
    public void Comment_QuotesLikeGo()
    {
        Assert.Equal("name: \"a\\\"b\" id: \"c\\\\d\\n\"", CniNames.Comment("a\"b", "c\\d\n"));
    }

    [Fact]
    public void PortMapComment_TooLong_IsCutTo255Bytes()
    {
        string c = CniNames.PortMapComment(new string('n', 300), "id");
        Assert.Equal(255, c.Length);
        Assert.StartsWith("dnat name: \"nnn", c, StringComparison.Ordinal);
    }
}
