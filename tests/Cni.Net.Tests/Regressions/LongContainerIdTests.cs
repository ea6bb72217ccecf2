using System.Text;
using Cni.Net.Netfilter;
using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.Tests.Regressions;

/// <summary>
/// The spec sets no length limit on a container id, and the reference plugins accept a 300-character one; what goes
/// into kernel names, aliases and comments must fit whatever the id.
/// </summary>
public class LongContainerIdTests
{
    private static readonly string s_longId = new('c', 300);

    [Fact]
    public void Comment_LongId_CutTo255BytesAsIptablesCutsIt()
    {
        string comment = CniNames.Comment("longnet", s_longId);
        Assert.Equal(255, Encoding.UTF8.GetByteCount(comment));
        Assert.StartsWith("name: \"longnet\" id: \"ccc", comment, StringComparison.Ordinal);
        Assert.True(CniNames.PortMapComment("longnet", s_longId).Length <= 255);
    }

    [Fact]
    public void Comment_MultiByteAtTheCut_KeepsWholeCharacters()
    {
        string comment = CniNames.Comment("n", new string('é', 200)); // 2 bytes each
        Assert.True(Encoding.UTF8.GetByteCount(comment) <= 255);
        Assert.DoesNotContain('\uFFFD', Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(comment)));
        Assert.Equal('é', comment[^1]);
    }

    [Fact]
    public void IfbAlias_LongIdOrNetwork_FitsTheKernelAndKeepsTheNetworkPrefix()
    {
        foreach ((string network, string id) in new[] { ("longnet", s_longId), (new string('n', 300), s_longId), (new string('n', 300), "short") })
        {
            string alias = IfbNames.Alias(network, id);
            Assert.True(Encoding.UTF8.GetByteCount(alias) <= 255, alias);
            Assert.StartsWith(IfbNames.AliasPrefix(network), alias, StringComparison.Ordinal);
            Assert.NotEqual(alias, IfbNames.Alias(network, id + "x")); // still one alias per container
        }
    }

    [Fact]
    public void IfbAlias_ShortValues_Unchanged()
    {
        Assert.Equal("cni-bandwidth name: \"net\" id: \"ctr-1\"", IfbNames.Alias("net", "ctr-1"));
        Assert.Equal("cni-bandwidth name: \"net\" id: \"", IfbNames.AliasPrefix("net"));
    }
}
