using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Tests.Netfilter;

public class IptablesBackendCheckTests
{
    [Fact]
    public void Problem_NfTablesWithoutLegacyRules_IsNone() =>
        Assert.Null(IptablesBackendCheck.Problem("iptables v1.8.9 (nf_tables)\n", 0));

    [Fact]
    public void Problem_LegacyBinary_Refused() =>
        Assert.Contains("iptables-legacy", IptablesBackendCheck.Problem("iptables v1.8.9 (legacy)\n", 0), StringComparison.Ordinal);

    [Fact]
    public void Problem_LegacyRulesPresent_Refused() =>
        Assert.Contains("3 iptables-legacy rule(s)", IptablesBackendCheck.Problem("iptables v1.8.9 (nf_tables)\n", 3), StringComparison.Ordinal);

    [Fact]
    public void Problem_UnknownVersion_Refused() =>
        Assert.NotNull(IptablesBackendCheck.Problem("iptables v1.4.21\n", 0));

    [Fact]
    public void RestoreFailed_ReportsToolMessageAndLine()
    {
        const string input = "*nat\n-N CNI-A\n-A CNI-A -j NOPE\nCOMMIT\n";
        NetfilterException e = IptablesNftBackend.RestoreFailed("iptables-nft-restore", input,
            new ToolRunner.Result(2, "", "iptables-nft-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 3\nTry `iptables-nft-restore -h' for more information.\n"));
        Assert.Equal(3, e.Line);
        Assert.Equal("-A CNI-A -j NOPE", e.LineText);
        Assert.Contains("Chain 'NOPE' does not exist", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Try `", e.Message, StringComparison.Ordinal);
    }
}
